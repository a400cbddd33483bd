"""Demo data for the organisation: a believable Swedish university, and one person per role.

Idempotent: units are found by code and people by user name, and only what is missing is created.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group

from core.models import User
from core.roles import Role
from governance import services
from governance.models import InstitutionSettings, OrgUnit


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
