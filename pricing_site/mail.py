"""The mail backend while password reset by e-mail is off (DJANGO_PASSWORD_RESET_MAIL=0).

Nothing in the site sends mail then (the reset pages say it is off); anything that tried would fail
loudly here instead of losing the message quietly.
"""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend


class MailIsOff(RuntimeError):
    pass


class NoMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        if email_messages:
            raise MailIsOff("mail is turned off (DJANGO_PASSWORD_RESET_MAIL=0); set DJANGO_SMTP_HOST to send it")
        return 0
