from django.urls import path

from webhooks import apis

urlpatterns = [
    path("webhooks/", apis.WebhookListCreateApi.as_view()),
    path("webhooks/<int:endpoint_id>/", apis.WebhookDetailApi.as_view()),
    path("webhooks/<int:endpoint_id>/test/", apis.WebhookTestApi.as_view()),
    path("webhooks/<int:endpoint_id>/deliveries/", apis.WebhookDeliveriesApi.as_view()),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay/",
        apis.WebhookReplayApi.as_view(),
    ),
    path("webhooks/<int:endpoint_id>/rotate-secret/", apis.WebhookRotateSecretApi.as_view()),
]
