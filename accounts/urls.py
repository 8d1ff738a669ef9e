from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view()),
    path("auth/token/refresh/", apis.TokenRefreshApi.as_view()),
    path("auth/logout/", apis.LogoutApi.as_view()),
    path("me/", apis.MeApi.as_view()),
]
