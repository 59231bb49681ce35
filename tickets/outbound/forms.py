"""Forms of the email settings page: the help desk's identity and switches, and a test email."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.outbound.models import EmailSettings


class EmailSettingsForm(forms.ModelForm):
    class Meta:
        model = EmailSettings
        fields = ("from_name", "from_address", "reply_to_address", "acknowledge_new_tickets")

    def clean_from_name(self) -> str:
        name = self.cleaned_data["from_name"].strip()
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
            raise forms.ValidationError(
                _("One line of plain text: no line breaks or control characters.")
            )
        if not name:
            raise forms.ValidationError(_("Give the help desk a name."))
        return name


class TestEmailForm(forms.Form):
    to = forms.EmailField(
        label=_("Send a test email to"),
        max_length=254,
        help_text=_("It goes out exactly as customers' emails do; its delivery is shown below."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].widget.attrs["autocomplete"] = "email"
