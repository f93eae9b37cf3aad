"""Reports of public items, for staff to moderate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .styles import Style
from .stylizations import Stylization


class Report(models.Model):
    """A signed-in user's report of a public stylization or style, for staff to moderate."""

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    stylization = models.ForeignKey(
        Stylization, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    style = models.ForeignKey(Style, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    reason = models.TextField(max_length=1000)
    created = models.DateTimeField(default=timezone.now)
    resolved = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution = models.CharField(
        max_length=20, blank=True, choices=[("hidden", "Item hidden"), ("dismissed", "Dismissed")]
    )

    class Meta:
        ordering = ["resolved", "-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stylization__isnull=False, style__isnull=True)
                | Q(stylization__isnull=True, style__isnull=False),
                name="report_one_item",
            )
        ]

    def __str__(self) -> str:
        return f"Report by {self.reporter} on {self.item}"

    @property
    def item(self) -> Stylization | Style | None:
        """The reported stylization or style (exactly one is set); None once it is deleted."""
        return self.stylization or self.style

    def resolve(self, resolution: str) -> None:
        self.resolved = timezone.now()
        self.resolution = resolution
        self.save(update_fields=["resolved", "resolution"])
