from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view()),
    path("auth/token/refresh/", apis.TokenRefreshApi.as_view()),
    path("auth/logout/", apis.LogoutApi.as_view()),
    path("me/", apis.MeApi.as_view()),
]

# Tenant hosts only (config.urls_api.tenant).
tenant_urlpatterns = [
    path("users/<int:user_id>/role/", apis.UserRoleApi.as_view()),
    path("signals/", apis.SignalsApi.as_view()),
]
