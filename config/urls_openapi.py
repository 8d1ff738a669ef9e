"""Every endpoint of both kinds of host, for the dashboard's generated API types."""

from config import urls_api

urlpatterns = [*urls_api.auth, *urls_api.tenant, *urls_api.platform]
