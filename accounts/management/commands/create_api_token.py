"""python manage.py create_api_token USERNAME [--name NAME]: print a new API key for the person."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.services import api_token_create
from selflearn_site.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Create a named API token for a user and print its key (shown once; only a digest is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", help="what the token is for (default: 'cli' and the time)")

    def handle(self, *args, username: str, name: str | None, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            _, key = api_token_create(user=user, name=name or f"cli {timezone.now():%Y-%m-%d %H:%M:%S}")
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(key)
