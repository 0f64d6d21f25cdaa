from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tiercard.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Django's login signal is the one extension point every sign-in passes through
        # (web and admin); the receiver only writes the audit row.
        from django.contrib.auth.signals import user_logged_in

        from tiercard.accounts.services import audit_login

        user_logged_in.connect(audit_login, dispatch_uid="tiercard_audit_login")
