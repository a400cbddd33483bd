"""The catalogue of the policy's rules (docs/POLICY.md), in plain language.

Every rule ID of docs/POLICY.md, in its order, with its section (the document's headings) and its text
written plainly (KAU-ACCESS asks for plain, clear language). A rule that Kanalvakt cannot enforce, in
whole or in part, says why (``reason``) and what Kanalvakt does instead. What Kanalvakt does about a
rule is not here: each app registers it (core.policy.register).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise


@dataclass(frozen=True)
class Rule:
    id: str
    section: str
    text: str | Promise
    reason: str | Promise = ""  # why Kanalvakt cannot enforce the rule, or the part it cannot

    @property
    def anchor(self) -> str:
        return self.id.lower()


SECTIONS: tuple[Section, ...] = (
    Section("areas", _("Priority areas and audiences")),
    Section("start", _("Starting a new account")),
    Section("sender", _("Sender and profile")),
    Section("responsibility", pgettext_lazy("policy section", "Responsibility")),
    Section("prohibited", _("Prohibited content")),
    Section("questions", _("Questions and comments")),
    Section("records", _("Public records and archiving")),
    Section("images", _("Images and film")),
    Section("access", _("Accessibility and own channels")),
    Section("followup", _("Follow-up and closing")),
    Section("crisis", _("Crisis and advertising")),
)

_RULES: tuple[Rule, ...] = (
    # Priority areas and audiences
    Rule(
        "KAU-AREA",
        "areas",
        _(
            "Every account serves one or more of the university's priority areas: strengthening the "
            "brand, building relations with students, or spreading knowledge."
        ),
    ),
    Rule(
        "KAU-AUDIENCE",
        "areas",
        _(
            "Every account says whom it speaks to: staff, students, partners and stakeholders, "
            "popular-science actors, or the interested public."
        ),
    ),
    # Starting a new account
    Rule(
        "KAU-START-APPROVAL",
        "start",
        _(
            "Using social media in your job needs the approval of your closest manager with operational "
            "responsibility. You do not choose who approves: it follows from your unit."
        ),
    ),
    Rule("KTH-APPROVAL", "start", _("The responsible manager approves a new presence in social media.")),
    Rule(
        "KTH-MANAGER", "start", _("The manager who approves takes overall responsibility for the presence.")
    ),
    Rule(
        "KAU-START-COMMS",
        "start",
        _(
            "The communications department is always asked before a new account is created, and it "
            "knows every account in the university's name."
        ),
    ),
    Rule(
        "KTH-EXISTING",
        "start",
        _(
            "Before something new is started, look at what the university already has. The "
            "communications department coordinates."
        ),
    ),
    Rule(
        "KAU-START-PURPOSE",
        "start",
        _("Every account has a clear purpose and goal, linked to the university's mission and strategy."),
    ),
    Rule(
        "KAU-START-CHECKLIST",
        "start",
        _(
            "Every account has a strategy document that answers the checklist: whom you want to reach, "
            "the purpose, what the audience should know, feel and do, how the work is shared and "
            "covered when staff change, and which resources there are."
        ),
    ),
    Rule(
        "KAU-CONTENT",
        "start",
        _(
            "Before an account starts there is a content strategy and an editorial plan. Everything "
            "published is engaging, relevant, well thought through, well made, correct and credible."
        ),
        _(
            "Whether content is engaging, well made and credible is judged by people, not by a "
            "program. Kanalvakt keeps the content strategy and the editorial plan in the request."
        ),
    ),
    Rule(
        "KTH-RESOURCES",
        "start",
        _(
            "Time and people are set aside before a channel starts, for the formal requirements and for "
            "quality."
        ),
    ),
    Rule(
        "KTH-TERMS",
        "start",
        _(
            "Before a channel starts, someone checks that its terms of use do not go against the "
            "university's interests, brand and values."
        ),
    ),
    Rule(
        "KAU-HIERARCHY",
        "start",
        _("New accounts are judged one at a time by the responsible communicator and the social media lead."),
    ),
    # Sender and profile
    Rule(
        "KAU-SENDER",
        "sender",
        _(
            "The university is the sender of every account: its graphic profile applies, the name shows "
            "which part of the university speaks, and the profile picture is the university's logo, "
            "unless the profile guide says otherwise."
        ),
    ),
    Rule(
        "KAU-PROFILE-GUIDE",
        "sender",
        _(
            "The profile guide says what each kind of sender may have on each platform: which profile "
            "picture, and whether a group, a page or an account of its own."
        ),
    ),
    Rule(
        "KAU-PRIVATE",
        "sender",
        _(
            "Staff do not use private accounts in their job: the university's accounts are for work only. "
            "Student ambassadors speak as students, not for the university."
        ),
    ),
    Rule(
        "KTH-PRIVATE",
        "sender",
        _(
            "An official account shows clearly that it belongs to the university, and the logo is never "
            "used in private contexts."
        ),
        _(
            "Kanalvakt cannot see private accounts or where the logo is used. It publishes the list of "
            "official accounts, so that anyone can check whether an account is official."
        ),
    ),
    Rule(
        "KTH-BLOG",
        "sender",
        _(
            "A blog with the university as sender is an official web page. The manager approves the "
            "blogger; someone who is not employed blogs only on a direct assignment from a unit."
        ),
    ),
    # Responsibility
    Rule(
        "KAU-RESP-MANAGER",
        "responsibility",
        _(
            "The manager with operational responsibility answers for the whole account, also for what "
            "visitors post."
        ),
    ),
    Rule(
        "KAU-RESP-OWNER", "responsibility", _("Every account has an account owner and at least one deputy.")
    ),
    Rule(
        "KAU-RESP-DAILY",
        "responsibility",
        _(
            "Every account is looked after every day, holidays and vacations too. The manager makes sure "
            "there is time for it."
        ),
    ),
    # Prohibited content
    Rule(
        "KAU-PROHIBITED",
        "prohibited",
        _(
            "The university does not publish, and removes when it finds them: sensitive personal data, "
            "secret information, defamation and personal attacks, threats and incitement, material used "
            "against copyright, and advertising."
        ),
        _(
            "Whether a post breaks the law is judged by people. Kanalvakt does not read posts for it; "
            "the moderator marks the category, and a removal is recorded."
        ),
    ),
    Rule(
        "KAU-PROHIBITED-EVIDENCE",
        "prohibited",
        _(
            "A prohibited post or comment is removed at once, but first a screenshot of it is kept, and "
            "registered when needed."
        ),
    ),
    # Questions and comments
    Rule(
        "KAU-RESPONSE-DEADLINE",
        "questions",
        _(
            "Questions and comments are answered as soon as possible, within 24–48 hours on working days. "
            "What comes on a weekend or holiday is answered on the next working day."
        ),
    ),
    Rule(
        "KAU-RESPONSE-CRITICISM",
        "questions",
        _(
            "Criticism of the university or a part of it is handled by the managers responsible for that "
            "part."
        ),
    ),
    Rule(
        "KAU-RESPONSE-TONE",
        "questions",
        _("Every answer is professional, factual and open."),
        _(
            "The tone of an answer is judged by people. Kanalvakt offers saved replies that the "
            "communications department keeps, and the moderator edits them before sending."
        ),
    ),
    Rule(
        "KAU-DREV",
        "questions",
        _("When there is a risk of a pile-on, the central social media address is told."),
    ),
    Rule(
        "KAU-THREAT",
        "questions",
        _("When someone makes a threat, the university's security officer is told at once."),
    ),
    # Public records and archiving
    Rule(
        "KAU-PUBLIC-RECORD",
        "records",
        _(
            "What the university publishes, and what visitors write to it, are public records: they may "
            "be registered, and must be found and handed out on request."
        ),
    ),
    Rule(
        "KAU-DIARY-NONE",
        "records",
        _(
            "Most questions and comments need not be registered. They may stay in the platform's own "
            "archive, as long as they can be found and handed out on request."
        ),
    ),
    Rule(
        "KAU-DIARY-ACTION",
        "records",
        _(
            "Questions and comments that need action (criticism, posts that break laws or rules) are "
            "registered: a dated screenshot of the post and its replies goes to the registry."
        ),
    ),
    Rule(
        "KAU-STARTPAGE",
        "records",
        _(
            "Every half-year, and before big changes, the account owner takes a screenshot of the "
            "channel's start page and keeps it."
        ),
    ),
    Rule(
        "KAU-INFORM",
        "records",
        _(
            "Where the platform allows, the account tells visitors that their messages are public "
            "records, and that posts that break the law or are inappropriate may be removed."
        ),
    ),
    # Images and film
    Rule(
        "KAU-CONSENT",
        "images",
        _(
            "People in photos and films agree to publication in social media, in writing or digitally. "
            "People in a crowd are told and can say no."
        ),
    ),
    Rule(
        "KAU-CREDIT",
        "images",
        _(
            "The photographer is named next to the picture, unless agreed otherwise, and has agreed to "
            "publication in social media."
        ),
    ),
    # Accessibility and own channels
    Rule(
        "KAU-ACCESS",
        "access",
        _(
            "Language is plain and clear, and people with disabilities can understand what is published. "
            "Important information is always on the university's own website too. Kanalvakt itself "
            "meets WCAG 2.1 AA."
        ),
        _(
            "Whether a post is plain and accessible is judged by people, and Kanalvakt cannot see the "
            "website. Kanalvakt makes its own pages accessible and plain."
        ),
    ),
    Rule(
        "KTH-COMPLEMENT",
        "access",
        _(
            "Social media complement the university's own channels: important information is on the "
            "website too."
        ),
    ),
    # Follow-up and closing
    Rule(
        "KAU-FOLLOWUP",
        "followup",
        _(
            "Every account is followed up regularly: its statistics, and whether it is worth the time it "
            "takes. Do we reach the people we want to reach? Can we keep up the pace and the watching?"
        ),
    ),
    Rule(
        "KAU-CLOSE",
        "followup",
        _(
            "Channels that are no longer active are closed. If nobody can watch the comments regularly, "
            "comments are switched off where the platform allows it."
        ),
    ),
    # Crisis and advertising
    Rule(
        "KAU-CRISIS",
        "crisis",
        _(
            "In a crisis the social channels are part of the crisis communication, always as a complement "
            "to the intranet, the website and press releases."
        ),
    ),
    Rule(
        "KAU-ADS",
        "crisis",
        _(
            "Paid marketing in official accounts is handled or supervised by the communications "
            "department or the people it appoints."
        ),
    ),
)

RULES: dict[str, Rule] = {entry.id: entry for entry in _RULES}
