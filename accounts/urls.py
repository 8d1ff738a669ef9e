from collections.abc import Callable

from django.urls import URLPattern, path, re_path

from accounts import apis

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view()),
    path("auth/token/refresh/", apis.TokenRefreshApi.as_view()),
    path("auth/logout/", apis.LogoutApi.as_view()),
    path("me/", apis.MeApi.as_view()),
    path("tokens/<int:token_id>/", apis.TokenDetailApi.as_view()),
]


def token_urlpatterns(token_max_days: Callable[[], int]) -> list[URLPattern]:
    """`/api/tokens/`, on both kinds of host, with the reader of the longest expiry allowed
    here (the tenant's policy: see TokenListCreateApi)."""
    return [path("tokens/", apis.TokenListCreateApi.as_view(token_max_days=token_max_days))]


# Tenant hosts only (config.urls_api.tenant).
tenant_urlpatterns = [
    path("users/<int:user_id>/role/", apis.UserRoleApi.as_view()),
    path("signals/", apis.SignalsApi.as_view()),
    path("service-accounts/", apis.ServiceAccountListCreateApi.as_view()),
    # A username's own characters (Django's rule), so nothing else reaches the query.
    re_path(
        r"^service-accounts/(?P<username>[\w.@+-]{1,150})/$",
        apis.ServiceAccountDetailApi.as_view(),
    ),
]
