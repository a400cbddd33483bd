"""Demo data for the organisation: a believable Swedish university, and one person per role.

Idempotent: units are found by code and people by user name, and only what is missing is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import Group

from core.models import InstitutionSettings, OrgUnit, User
from core.roles import Role
from governance import services


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    roles: tuple[Role, ...]
    description: str

    @property
    def password(self) -> str:
        return f"demo-{self.username}-2026"


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "anna", "Anna", "Lindqvist", (Role.COMMUNICATOR,), "kommunikatör, Ingenjörsvetenskap och fysik"
    ),
    DemoPerson("per", "Per", "Nilsson", (Role.COMMUNICATOR,), "kommunikatör, ersättare"),
    DemoPerson("sara", "Sara", "Holmberg", (Role.COMMUNICATOR,), "kommunikatör, Handelshögskolan"),
    DemoPerson("maria", "Maria", "Berg", (), "prefekt, Ingenjörsvetenskap och fysik"),
    DemoPerson("olof", "Olof", "Strand", (), "dekan, Hälsa, natur- och teknikvetenskap"),
    DemoPerson("helena", "Helena", "Vik", (), "prefekt, Handelshögskolan"),
    DemoPerson("karin", "Karin", "Holm", (Role.COMMUNICATIONS,), "Kommunikationsavdelningen"),
    DemoPerson(
        "johan",
        "Johan",
        "Ek",
        (Role.COMMUNICATIONS, Role.SOCIAL_MEDIA_LEAD),
        "huvudansvarig för sociala medier",
    ),
    DemoPerson("eva", "Eva", "Sjöberg", (Role.REGISTRAR,), "registrator/arkivarie"),
    DemoPerson("lars", "Lars", "Dahl", (Role.SECURITY_OFFICER,), "säkerhetsansvarig"),
    DemoPerson("birgitta", "Birgitta", "Ström", (), "rektor"),
    DemoPerson("gunnar", "Gunnar", "Falk", (), "förvaltningschef"),
)

# (code, name, English name, kind, parent code, head user name)
UNITS: tuple[tuple[str, str, str, str, str | None, str | None], ...] = (
    ("kau", "Karlstads universitet", "Karlstad University", OrgUnit.Kind.UNIVERSITY, None, "birgitta"),
    (
        "hnt",
        "Fakulteten för hälsa, natur- och teknikvetenskap",
        "Faculty of Health, Science and Technology",
        OrgUnit.Kind.FACULTY,
        "kau",
        "olof",
    ),
    (
        "ifi",
        "Institutionen för ingenjörsvetenskap och fysik",
        "Department of Engineering and Physics",
        OrgUnit.Kind.DEPARTMENT,
        "hnt",
        "maria",
    ),
    (
        "iml",
        "Institutionen för miljö- och livsvetenskaper",
        "Department of Environmental and Life Sciences",
        OrgUnit.Kind.DEPARTMENT,
        "hnt",
        "olof",
    ),
    ("klar", "Projektet Klarälvens vatten", "The Klarälven Water Project", OrgUnit.Kind.PROJECT, "iml", None),
    (
        "hs",
        "Fakulteten för humaniora och samhällsvetenskap",
        "Faculty of Arts and Social Sciences",
        OrgUnit.Kind.FACULTY,
        "kau",
        "birgitta",
    ),
    ("hhs", "Handelshögskolan", "Karlstad Business School", OrgUnit.Kind.DEPARTMENT, "hs", "helena"),
    ("uf", "Universitetsförvaltningen", "University Administration", OrgUnit.Kind.OTHER, "kau", "gunnar"),
    (
        "komm",
        "Kommunikationsavdelningen",
        "Communications Department",
        OrgUnit.Kind.COMMUNICATIONS,
        "uf",
        "johan",
    ),
    ("stud", "Studentavdelningen", "Student Services", OrgUnit.Kind.DIVISION, "uf", "gunnar"),
)


def seed_people() -> dict[str, User]:
    people: dict[str, User] = {}
    for person in PEOPLE:
        user, created = User.objects.get_or_create(
            username=person.username,
            defaults={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": f"{person.username}@example.kau.se",
            },
        )
        if created:
            user.set_password(person.password)
            user.save(update_fields=["password"])
        for role in person.roles:
            user.groups.add(Group.objects.get(name=role.value))
        people[person.username] = user
    return people


def seed_units(people: dict[str, User]) -> dict[str, OrgUnit]:
    units: dict[str, OrgUnit] = {}
    for code, name, name_en, kind, parent_code, head in UNITS:
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None:
            unit = services.create_unit(
                name=name,
                name_en=name_en,
                code=code,
                kind=kind,
                parent=units[parent_code] if parent_code else None,
                head=people[head] if head else None,
                by=None,
            )
        units[code] = unit
    InstitutionSettings.objects.get_solo()
    return units


def _strategy(topic: str) -> dict[str, object]:
    """A complete strategy document in believable Swedish, for the demo requests."""
    return {
        "areas": ["student_relations", "brand"],
        "audiences": ["students", "public"],
        "purpose": f"Kontot ska visa vardagen för {topic} och stärka bilden av Karlstads universitet som ett "
        "nära och engagerande lärosäte, i linje med universitetets strategi för utbildning.",
        "checklist_audience": "Blivande studenter i gymnasiets sista år, nuvarande studenter och deras "
        "föräldrar som vill veta hur det är att läsa hos oss.",
        "checklist_purpose": "Syftet är att öka kännedomen om "
        "utbildningen och att fler söker den; det stöder "
        "institutionens mål om rekrytering och en god studiemiljö.",
        "checklist_goals": "Målgruppen ska veta vad utbildningen innehåller, känna sig välkommen och trygg, "
        "och söka till programmet eller komma på öppet hus.",
        "checklist_staffing": "Två kommunikatörer delar på publiceringen enligt ett schema; ersättaren tar "
        "över vid frånvaro och lämnar över med en checklista när någon slutar.",
        "checklist_resources": "Vi har gjort en resursinventering: fyra timmar i veckan, en mobilkamera, "
        "bildbank från universitetet och studentambassadörer som bidrar med innehåll.",
        "content_strategy": "Korta filmer och bilder från undervisning, labb och studentliv, alltid med "
        "samtycke från dem som syns; korrekt och trovärdigt innehåll med tydlig avsändare.",
        "editorial_goals": "Redaktionell plan: två inlägg i veckan, teman per månad kopplade till "
        "antagningsperioder och öppet hus, utvärdering varje termin.",
        "editorial_stakeholders": "Blivande studenter, nuvarande studenter, programansvariga, studentkåren "
        "och Studentavdelningen som intressenter.",
        "planned_frequency": "Två inlägg i veckan, stories vid evenemang",
        "resource_hours_per_week": 4,
        "resource_people": "Anna Lindqvist och Per Nilsson",
        "terms_checked": True,
        "terms_note": "Villkoren ger plattformen rätt att använda publicerat material; vi publicerar bara "
        "material som universitetet får sprida.",
    }


# (key, requester, unit, platform, name, handle, sender type, owner, deputies, final state)
REQUESTS: tuple[tuple[str, str, str, str, str, str, str, str, tuple[str, ...], str], ...] = (
    ("draft", "anna", "ifi", "tiktok", "Fysik på TikTok", "fysik_kau", "subject", "anna", ("per",), "draft"),
    (
        "submitted",
        "sara",
        "hhs",
        "instagram",
        "Handelsstudent",
        "handelsstudent",
        "subject",
        "sara",
        ("per",),
        "submitted",
    ),
    (
        "returned",
        "anna",
        "ifi",
        "instagram",
        "Civilingenjör studentliv",
        "civing_studentliv",
        "subject",
        "anna",
        ("per",),
        "returned",
    ),
    (
        "reviewed",
        "per",
        "ifi",
        "youtube",
        "Ingenjörsvetenskap föreläsningar",
        "ifi_forelasningar_kau",
        "internal_project",
        "per",
        ("anna",),
        "reviewed",
    ),
    (
        "approved",
        "anna",
        "klar",
        "instagram",
        "Klarälvens vatten",
        "klaralven_kau",
        "internal_project",
        "anna",
        ("sara",),
        "approved",
    ),
    (
        "rejected",
        "sara",
        "hhs",
        "linkedin",
        "Handels alumner",
        "handels-alumner",
        "subject",
        "sara",
        ("karin",),
        "rejected",
    ),
    (
        "withdrawn",
        "per",
        "stud",
        "facebook_group",
        "Studentlivet på Kau",
        "studentlivet-kau",
        "internal_environment",
        "per",
        ("anna",),
        "withdrawn",
    ),
)


def seed_requests(people: dict[str, User], units: dict[str, OrgUnit], *, now: datetime) -> int:
    """One request in every state, idempotent by (requester, name)."""
    from governance.models import AccountRequest

    created = 0
    reviewer, lead = people["karin"], people["johan"]
    for _key, requester, unit, platform, name, handle, sender, owner, deputies, final in REQUESTS:
        if AccountRequest.objects.filter(requester=people[requester], name=name).exists():
            continue
        by = people[requester]
        data = {
            "unit": units[unit],
            "platform": platform,
            "name": name,
            "handle": handle,
            "sender_type": sender,
            "proposed_owner": people[owner],
            **_strategy(name),
        }
        if final == "draft":
            data = {
                key: value for key, value in data.items() if not key.startswith(("checklist_", "editorial"))
            }
        req = services.save_draft(None, by=by, data=data, deputies=[people[d] for d in deputies], now=now)
        created += 1
        if final == "draft":
            continue
        if final == "withdrawn":
            services.withdraw_request(
                req.pk, by=by, comment="Vi använder studentkårens grupp i stället.", now=now
            )
            continue
        services.submit_request(req.pk, by=by, now=now)
        if final == "submitted":
            continue
        if final == "returned":
            services.return_request(
                req.pk,
                by=reviewer,
                now=now,
                advice="Ämneskonton på Instagram ska heta namn_kau enligt kontoprofilguiden, och kontot "
                "civing_kau finns redan för samma program. Kan ni samarbeta med det i stället?",
            )
            continue
        accepted = [d["code"] for d in AccountRequest.objects.get(pk=req.pk).deviations]
        services.accept_request(
            req.pk,
            by=reviewer,
            accepted_deviations=accepted,
            now=now,
            advice="Inget befintligt konto täcker behovet. Avvikelserna från profilguiden är motiverade.",
        )
        if final == "reviewed":
            continue
        approver = (
            people["olof"] if unit == "klar" else people["helena"] if unit == "hhs" else people["maria"]
        )
        if final == "approved":
            services.comment_on_request(req.pk, by=lead, comment="Bra initiativ, stöds centralt.", now=now)
            services.approve_request(
                req.pk, by=approver, reason="Godkänt: tydligt syfte och resurser.", now=now
            )
        else:
            services.reject_request(
                req.pk,
                by=approver,
                reason="Ämnen har inga LinkedIn-konton; använd universitetets sida.",
                now=now,
            )
    return created
