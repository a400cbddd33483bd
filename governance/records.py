"""The decision record of a new-account request as PDF/A (*blankett för godkännande*).

Built with ReportLab from the same context as the printable HTML page, so the two say the same.
Its text is in embedded TrueType fonts chosen per character (core.pdffonts): Helvetica holds only
Latin-1, and printed a requester's Ł, an emoji in an account's name or a Chinese character as a
black square.

The record is a public record the registry keeps (offentlighets- och sekretesslagen 5 kap.) and the
archive takes in PDF/A (RA-FS 2009:2), so it is written as PDF/A-2b by core.pdfa, the step the diary
packages share, and validated as they are: the XMP names it (``dc:title``, ``dc:identifier``,
``dc:creator``, ``dc:date``, ``xmp:CreateDate``). The university's name heads it, and a field for the
registration number (*diarienummer*) is left empty and labelled for the registry to write in:
Kanalvakt never invents one, and the registry gives it when it registers the record.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core import pdffonts
from core.pdfa import finish_bytes
from core.templatetags.kanalvakt import when

REGULAR, BOLD = pdffonts.REGULAR.name, pdffonts.BOLD.name


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(pdffonts.markup(str(text or "–"), bold=style.fontName == BOLD), style)


def decision_record_pdf(context: dict[str, Any]) -> bytes:
    """The decision record as PDF/A-2b (KAU-START-APPROVAL, KAU-PUBLIC-RECORD): the university's
    name, the registration number field, the decision, the request, the strategy document, the
    review and the history. Raises core.pdfa.PdfaRefused should the file not validate."""
    req = context["req"]
    pdffonts.chain(bold=True)  # registers the fonts the styles name
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName=REGULAR, fontSize=9.5, leading=12.5)
    label = ParagraphStyle("label", parent=body, fontName=BOLD)
    heading = ParagraphStyle("h2", parent=styles["Heading2"], fontName=BOLD, fontSize=12, spaceBefore=8)
    title = ParagraphStyle("title", parent=styles["Title"], fontName=BOLD, fontSize=16, alignment=0)

    def table(rows: list[tuple[str, Any]]) -> Table:
        data = [[_p(key, label), _p(value, body)] for key, value in rows]
        result = Table(data, colWidths=[52 * mm, 118 * mm])
        result.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), REGULAR),  # a table names a font for every cell
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9d0d9")),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        return result

    institution = ParagraphStyle("institution", parent=body, fontName=BOLD, fontSize=11, leading=14)
    registry = Table(
        [[_p(_("Registration number (diarienummer)"), label), _p(context["registry_number"] or " ", body)]],
        colWidths=[70 * mm, 60 * mm],
        rowHeights=[10 * mm],
        hAlign="LEFT",
    )
    registry.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOX", (1, 0), (1, 0), 0.75, colors.black),  # the box the registry writes in
            ]
        )
    )
    story: list[Any] = [
        _p(context["institution_name"], institution),
        _p(_("Decision on a new social media account"), title),
        _p(
            _("Request no. %(number)s · printed %(printed)s")
            % {"number": req.pk, "printed": when(context["printed_at"])},
            body,
        ),
        Spacer(1, 2 * mm),
        registry,
    ]
    if not context["registry_number"]:
        story.append(_p(_("Filled in by the registry when the record is registered."), body))
    story.append(Spacer(1, 4 * mm))
    for name, rows in _record_sections(req, context):
        story += [_p(name, heading), table(rows)]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=str(_("Decision on a new social media account")),
        author="Kanalvakt",
        subject=f"{req.name} ({req.platform_label})",
        creator="Kanalvakt",
        initialFontName=REGULAR,  # not Helvetica, which every page would otherwise name
    )
    document.build(story)
    decided_at = req.decided_at or context["printed_at"]
    return finish_bytes(
        buffer.getvalue(),
        xmp={
            "dc:title": f"{_('Decision on a new social media account')}: {req.name} ({req.platform_label})",
            # The registration number once the registry has given one, else Kanalvakt's reference.
            "dc:identifier": context["registry_number"] or f"kanalvakt:request:{req.pk}",
            "dc:description": " · ".join(
                [
                    context["institution_name"],
                    req.unit.display_name,
                    _("Request no. %(number)s") % {"number": req.pk},
                    str(req.get_status_display()),
                ]
            ),
            "dc:creator": str(req.decided_by or context["institution_name"]),
            "dc:date": timezone.localtime(decided_at).isoformat(),
            "xmp:CreateDate": timezone.localtime(context["printed_at"]).isoformat(),
        },
    )


def readable_number(value: Any) -> str:
    """A number as the reader writes it, by Django's localisation: ``1 234,5`` in Swedish (a
    decimal comma, thousands grouped), ``1,234.5`` in English. The HTML record shows the same."""
    return "" if value is None else number_format(value, use_l10n=True, force_grouping=True)


def _blogger_rows(req: Any) -> list[tuple[str, Any]]:
    """The blogger, for a blog only (KTH-BLOG)."""
    if not req.is_blog:
        return []
    blogger = str(req.blogger or req.blogger_external_name or "–")
    if req.blogger_assigning_unit is not None:
        blogger += " (" + _("assigned by %(unit)s") % {"unit": req.blogger_assigning_unit.display_name} + ")"
    return [(_("Blogger"), blogger)]


def _record_sections(req: Any, context: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The record's sections in order, each a heading and its rows: the decision, the request, the
    strategy document (KAU-START-CHECKLIST), the review (KAU-START-COMMS) and the history."""
    decision = _("Approved") if req.status == "approved" else _("Rejected")
    return [
        (
            _("Decision"),
            [
                (_("Decision"), decision),
                (_("Decided by"), f"{req.decided_by} ({_('head of unit')})"),
                (_("Decided at"), when(req.decided_at)),
                (_("Reason"), req.decision_reason),
            ],
        ),
        (
            _("The request"),
            [
                (_("Requested by"), req.requester),
                (_("Requesting unit"), req.unit.display_name),
                (_("Submitted at"), when(req.submitted_at)),
                (_("Account"), f"{req.name} ({req.platform_label}) {req.handle}"),
                (_("Sender type"), req.get_sender_type_display()),
                (_("Account owner"), req.proposed_owner),
                (_("Deputies"), ", ".join(str(d) for d in context["deputies"])),
                (_("Priority areas"), ", ".join(req.area_labels())),
                (_("Audiences"), ", ".join(req.audience_labels())),
            ],
        ),
        (
            _("Strategy document"),
            [
                (_("Profile picture"), req.get_profile_picture_display()),
                (_("Purpose and goal"), req.purpose),
                (_("1. Who do you want to reach?"), req.checklist_audience),
                (_("2. Purpose and link to the unit's goals"), req.checklist_purpose),
                (_("3. Know, feel, do"), req.checklist_goals),
                (_("4. Work shared and covered"), req.checklist_staffing),
                (_("5. Resource inventory"), req.checklist_resources),
                (_("Content strategy"), req.content_strategy),
                (_("Editorial plan: purpose and goals"), req.editorial_goals),
                (_("Editorial plan: audiences and stakeholders"), req.editorial_stakeholders),
                (_("Planned frequency"), req.planned_frequency),
                (_("Hours per week set aside"), readable_number(req.resource_hours_per_week)),
                (_("Who does the work"), req.resource_people),
                (_("Terms of use checked"), _("Yes") if req.terms_checked else _("No")),
                (_("What the check found"), req.terms_note),
                *_blogger_rows(req),
            ],
        ),
        (
            _("Review by the communications department"),
            [
                (_("Reviewed by"), req.reviewed_by),
                (_("Reviewed at"), when(req.reviewed_at)),
                (_("Advice"), req.review_advice),
                (
                    _("Deviations accepted"),
                    "\n".join(d["message"] for d in req.deviations) if req.deviations else _("None"),
                ),
            ],
        ),
        (
            _("History"),
            [
                (when(event.at), f"{event.get_kind_display()} – {event.actor}. {event.comment}")
                for event in context["events"]
            ],
        ),
    ]
