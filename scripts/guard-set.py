#!/usr/bin/env python3
"""Writes tests/guard/labelled.tsv: the confidentiality guard's labelled set.

Each line is `text<TAB>labels`, labels being `kind=exact span` joined by ` | `
(empty: nothing to find). Texts are built from templates with names drawn from
the guard's own lists and from outside them, and hold traps: places, panel
names, capitalised sentence starts, "at" and "punkt" in ordinary Swedish.
Deterministic (fixed seed); run it again after changing the templates:

    python3 scripts/guard-set.py
"""
import pathlib
import random

root = pathlib.Path(__file__).resolve().parent.parent
rng = random.Random(21)


def names(file):
    lines = (root / "src" / "domain" / "names" / file).read_text(encoding="utf-8").splitlines()
    return [n for n in lines if n and not n.startswith("#") and "-" not in n]


first, last = names("first_sv.txt"), names("last_sv.txt")
# Names the lists do not hold, as people write them.
outside_first = ["Jonte", "Kicki", "Nisse", "Lollo", "Hamoudi", "Sigge", "Pelle", "Totte"]
outside_last = ["Pålsson", "Grönqvist", "Bergdahl", "Fogelström", "Tjernberg"]

rows = []


def add(text, *labels):
    rows.append((text, " | ".join(f"{k}={v}" for k, v in labels)))


full_templates = [
    "Min granne {n} säljer knark i trapphuset varje fredag.",
    "Jag såg {n} klottra på skolans vägg igår kväll.",
    "Varför gör ingen något åt att {n} kör moped på gångvägen?",
    "Det är {n} som hotar barnen vid busshållplatsen.",
    "Kan polisen prata med {n} om bråken i porten?",
    "Vi har anmält {n} flera gånger utan att något händer.",
    "Hyresvärden vet att {n} förvarar stöldgods i källaren.",
    "Ungdomarna säger att {n} langar vid fritidsgården.",
]
for i in range(80):
    f = rng.choice(first if i % 4 else outside_first)
    l = rng.choice(last if i % 5 else outside_last)
    n = f"{f} {l}"
    add(rng.choice(full_templates).format(n=n), ("person_name", n))

alone_templates = [
    "Min granne {f} spelar hög musik varje natt.",
    "Killen {f} på tredje våningen hotar folk i tvättstugan.",
    "Han heter {f} och står alltid vid kiosken.",
    "Vad tänker ni göra åt att {f} på nummer fem skriker på barnen?",
    "I vår trappa bor {f} som har en stor hund utan koppel.",
    "Varför får {f} parkera på gräset hela tiden?",
]
for i in range(60):
    f = rng.choice(first if i % 3 else outside_first)
    t = rng.choice(alone_templates)
    if f in outside_first and "{f} på" not in t and "heter" not in t and "granne" not in t and "Killen" not in t:
        t = "Min granne {f} spelar hög musik varje natt."
    add(t.format(f=f), ("person_name", f))

users = ["anna.berg", "kalle", "bosse_74", "lisa.ek", "hamid", "m.nilsson", "sara1990", "olle"]
domains = ["exempel", "gmail", "hotmail", "telia", "outlook", "bredband"]
disguises = [
    "{u} [at] {d} punkt se", "{u}(at){d}.se", "{u} snabel-a {d} punkt com", "{u} at {d} dot com",
    "{u} [at] {d} [punkt] nu", "{u} (at) {d} (dot) com", "{u}[at]{d}.com", "{u} snabela {d} punkt se",
]
mail_templates = [
    "Hör av er till mig på {e} så berättar jag mer.",
    "Min granne vill bli kontaktad, skriv till {e} tack.",
    "Skicka svaret till {e}",
    "Jag heter inget här men nås på {e} om ni vill veta vem som säljer.",
]
for i in range(60):
    e = rng.choice(disguises).format(u=rng.choice(users), d=rng.choice(domains))
    add(rng.choice(mail_templates).format(e=e), ("email", e))
for e in ["anna.berg@exempel.se", "kalle@gmail.com", "olle.sv@telia.se"]:
    add(f"Mejla mig på {e} om cykelstölderna.", ("email", e))

# The other kinds, so that a change to the guard shows what it costs them.
others = [
    ("personnummer", "811228-9874", "Mitt personnummer är {} och jag blev rånad."),
    ("personnummer", "19811228-9874", "Skriv upp {} i anmälan."),
    ("samordningsnummer", "701063-2391", "Han har samordningsnummer {} och bor här."),
    ("phone", "070-123 45 67", "Ring mig på {} efter sex."),
    ("phone", "08-123 456 78", "Hennes nummer är {} om ni vill prata."),
    ("phone", "+46 70 123 45 67", "Sms:a {} när ni vet."),
    ("street_address", "Storgatan 12", "Det säljs knark på {} varje kväll."),
    ("street_address", "Hägerstensvägen 5B", "Bilen står alltid utanför {} på natten."),
    ("street_address", "Drottninggatan 3, lgh 1102", "Festerna i {} håller alla vakna."),
    ("registration_plate", "ABC 123", "En vit bil med nummer {} kör för fort."),
    ("registration_plate", "XYZ 99H", "Mopeden {} står i cykelstället."),
]
for kind, value, template in others:
    for _ in range(4):
        add(template.format(value), (kind, value))

# Traps: nothing here is personal data about a private person.
traps = [
    "Varför är det så mörkt i parken vid Järva torg på kvällarna?",
    "Kan polisen synas mer i Husby centrum efter klockan 22?",
    "Anna Lind, vad gör polisen åt cykelstölderna?",
    "Till Per Polis: hur många anmälningar kom in förra året?",
    "Per person räknat har vi färre poliser än Kista.",
    "Vi ses at home efter mötet, det är lugnt.",
    "Punkt tre på dagordningen handlar om belysningen.",
    "Vi möts kl 18 punkt och går sedan till torget.",
    "Stig inte in i tunneln efter mörkrets inbrott, säger många.",
    "Bo i Rinkeby är tryggare än folk tror.",
    "Rosa bänkar vid skolan har klottrats ner igen.",
    "Följ @polisen_stockholm för nyheter om området.",
    "Skolan i Tensta har fått nya lampor, bra jobbat kommunen!",
    "Kommer Stockholms stad att sätta upp kameror vid Kista Galleria?",
    "Fritidsgården Blå Huset behöver vara öppen längre.",
    "Varför stänger Tensta Träff redan klockan åtta?",
    "Det är mörkt på Storgatan och Sveavägen.",
    "Ring 112 om det brinner och 114 14 annars.",
    "Hur går det med nattbussen 113 efter klockan 23?",
    "Jag har sett det på vägen 3 gånger i veckan.",
    "Vi bor 100 meter bort och hör allt.",
    "SOS 112 svarar snabbt men polisen kommer sent.",
    "Hur ska Folkets Hus användas på kvällarna?",
    "Vad gör Svenska Bostäder åt trapphusen?",
    "Det var Lucia i skolan och alla var glada.",
    "Kan Trafikverket laga belysningen under Essingeleden?",
    "Mitt barn går i Husbygårdsskolan och är rädd på vägen hem.",
    "Hej! Jag undrar om ni kan ha fler vakter i tunnelbanan.",
    "Vi i föreningen Trygga Grannar vill hjälpa till.",
    "Vilka tider patrullerar Polisen i Järva på helgerna?",
    "Maja, vår moderator, sa att frågan kommer sen.",
    "Varför säger Maja Moderator att min fråga är för lång?",
    "Jag läste i Mitt i Kista att det blivit bättre.",
    "Var är Nya Gatan, den som byggdes förra året?",
    "Kan ni svara på mejl till kommunen punkt se nån gång?",
    "Hemsidan stockholm punkt se säger inget om detta.",
    "Vi fick ett mejl från info at kommunen igår.",
    "Går det att få svar via Facebook at all?",
]
for trap in traps:
    add(trap)

out = root / "tests" / "guard" / "labelled.tsv"
out.parent.mkdir(parents=True, exist_ok=True)
header = "# The confidentiality guard's labelled set; generated by scripts/guard-set.py. text<TAB>kind=span | kind=span\n"
out.write_text(header + "\n".join(f"{t}\t{l}" for t, l in rows) + "\n", encoding="utf-8")
print(f"{len(rows)} texts")
