"""The upload form of a data subject file."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

ACCEPTED_EXTENSIONS = (".csv", ".txt", ".xlsx")


class SubjectFileForm(forms.Form):
    file = forms.FileField(
        label=_("File of data subjects"),
        help_text=_("CSV (UTF-8 or Windows-1252, separated by ; or ,) or .xlsx, one row per data subject."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file (store nothing)"),
        required=False,
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        extension = PurePath(upload.name or "").suffix.lower()
        if extension not in ACCEPTED_EXTENSIONS:
            raise forms.ValidationError(
                _("Upload a .csv or .xlsx file (Excel 97-2003 .xls files: save them as .xlsx first)."),
                code="extension",
            )
        if upload.size is not None and upload.size > int(settings.IMPORT_MAX_BYTES):
            raise _too_large(upload.size)
        return upload

    def __init__(self, *args: Any, upload_refused: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.upload_refused = upload_refused
        self.fields["file"].widget.attrs["data-max-bytes"] = str(settings.IMPORT_MAX_BYTES)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.upload_refused is not None:
            # The upload was stopped as it arrived (SizeLimitedUploadHandler): say why, not that no file came.
            self.errors.pop("file", None)
            self.add_error("file", _too_large(self.upload_refused))
        return cleaned


def _too_large(size: int) -> forms.ValidationError:
    limit = int(settings.IMPORT_MAX_BYTES)
    return forms.ValidationError(
        _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into several files.")
        % {"size": f"{size / 1024 / 1024:.0f}", "limit": f"{limit / 1024 / 1024:.0f}"},
        code="too_large",
    )
