"""Art. 34(3)(c) as a complement: the public communication that reaches the persons no letter or email reached."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicCommunication(models.Model):
    """A notice on the lab's website, in the press or in its premises for the unreachable data subjects."""

    class Medium(models.TextChoices):
        WEBSITE = "website", _("The organisation's website")
        PRESS = "press", _("Press")
        PREMISES = "premises", _("Notice displayed in the premises")
        OTHER = "other", _("Other")

    breach_file = models.ForeignKey(
        "breachdesk.BreachFile", on_delete=models.PROTECT, related_name="public_communications"
    )
    text = models.TextField(_("text of the communication"))
    medium = models.CharField(_("medium"), max_length=20, choices=Medium.choices)
    # Where exactly: the page's address, the newspaper's name and edition.
    medium_detail = models.CharField(_("where exactly"), max_length=300, blank=True)
    published_on = models.DateField(_("published on"))
    # The unreachable data subjects of the campaign when it was recorded: the persons it is meant for.
    unreachable_count = models.PositiveIntegerField(default=0)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("public communication")
        verbose_name_plural = _("public communications")
        ordering = ["published_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="public_communication_has_text"),
        ]

    def __str__(self) -> str:
        return f"public communication #{self.pk} of breach file #{self.breach_file_id}"
