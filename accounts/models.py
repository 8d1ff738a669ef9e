from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person in one schema: the public schema holds operators, each tenant schema its users.

    Ids repeat across schemas, so nothing may identify a user by id alone.
    """

    # Set by API activity (token refresh, authenticated requests), at most hourly, so a user
    # who only uses the API does not look inactive. See DESIGN §4.
    last_seen = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
