"""URLs of the root host (platform operators)."""

from django.contrib import admin
from django.urls import path, re_path

from config.spa import spa_index

urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(r"^(?!api/|admin/|static/)(?P<path>.*)$", spa_index),
]
