"""A full, realistic plan as a person and their planner would write it, sent through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

# The nine criteria sections, plus the supporting "who to contact" notes; field names follow
# portal/plans/content.py.
SECTIONS: dict[str, dict[str, Any]] = {
    "starting_point": {
        "what_i_enjoy": (
            "I love being out in my garden, especially first thing when it is quiet. I go to the "
            "singing group at St Mary's on Thursdays and it is the highlight of my week. I like "
            "cooking for my grandchildren when they visit, even if it takes me longer now."
        ),
        "what_i_dont_like": (
            "I do not like being rushed in the mornings or having a different carer every day who "
            "does not know how I like things done. I hate having to ask for help with the bath. "
            "Long waits on the phone to the surgery wear me out."
        ),
        "what_i_want_to_achieve": (
            "I want to keep living in my own home and get back to the singing group every week. "
            "I would like to walk to the end of the road and back on my own by the summer, and "
            "to have fewer visits to A&E because my breathing got out of hand."
        ),
        "what_stops_me": (
            "My breathing is bad on cold days and I get frightened when I cannot catch my breath. "
            "I cannot drive any more and the bus stop is too far. My daughter works full time and "
            "cannot always take me."
        ),
        "who_helped_me_plan": (
            "My daughter Claire helped me write this over two afternoons. Dev Mistry, my "
            "community matron, came to the second meeting and helped with the health parts."
        ),
    },
    "about_me": {
        "who_i_am": (
            "I am Margaret, but everyone calls me Maggie. I am 71 and I have lived in the same "
            "terraced house in Hillsborough for forty years. I was a school cook until I retired "
            "and I still like feeding people."
        ),
        "strengths_and_skills": (
            "I am organised and I keep a diary of my inhaler use and how my chest feels. I am "
            "stubborn in a good way and I do my breathing exercises every day. I know a lot of "
            "people on my street and at church."
        ),
        "relationships_and_community": (
            "Claire lives twenty minutes away and visits on Wednesdays and Sundays. My neighbour "
            "Pat has a key and checks on me most mornings. The singing group and church are my "
            "main social life."
        ),
        "health_and_wellbeing_needs": (
            "I have COPD and use oxygen at night. I had two chest infections last winter that put "
            "me in hospital. My knees are arthritic so stairs and the bath are hard, and I get "
            "low in the winter when I cannot get out."
        ),
        "makes_own_decisions": True,
        "how_decisions_are_reached": (
            "I make my own decisions. I like Claire to be there for big ones about money or my "
            "care, and I want things explained to me plainly, not in a rush."
        ),
        "representative_name": "Claire Doyle",
        "representative_relationship": "My daughter, and she has lasting power of attorney",
    },
    "working_not_working": {
        "working": [
            "Pat checking on me in the mornings means I feel safe on my own.",
            "The pulmonary rehab exercises have helped me walk a bit further.",
            "Having my oxygen delivered on a regular day, so I never run out.",
        ],
        "not_working": [
            "The agency sends different carers and they are often late, so I miss breakfast.",
            "I cannot get to the singing group when Claire is at work.",
            "Getting in and out of the bath is frightening and I have nearly fallen twice.",
        ],
    },
    "important_to_for": {
        "important_to_me": [
            "Staying in my own home with my things around me.",
            "Seeing my grandchildren and cooking for them on Sundays.",
            "Singing every Thursday with my friends.",
        ],
        "important_for_me": [
            "Taking my inhalers properly and spotting a chest infection early.",
            "Keeping warm in winter and keeping active every day.",
            "Washing safely without a fall.",
        ],
    },
    "staying_safe": {
        "risks": [
            {
                "risk": "A chest infection that gets worse before anyone notices.",
                "mitigation": (
                    "I have a rescue pack of antibiotics and steroids at home and a written plan "
                    "from Dev for when to start it. My PA checks my diary each visit."
                ),
                "who_helps": "Dev Mistry (community matron) and my PA",
            },
            {
                "risk": "A fall in the bathroom or on the stairs.",
                "mitigation": (
                    "A walk-in shower is being fitted and my PA helps me shower. I wear my "
                    "pendant alarm all the time."
                ),
                "who_helps": "My PA and Claire",
            },
        ],
        "contingency_plan": (
            "If my PA is off sick, the agency covers with someone who has read this plan. If I "
            "cannot breathe, I call 999 and then Claire. If Claire is away, Pat has the key and "
            "the list of my medicines."
        ),
        "point_of_contact_name": "Dev Mistry, community matron",
        "point_of_contact_details": "Hillsborough community nursing team, 0114 496 0321",
    },
    "outcomes": {
        "notes": (
            "These outcomes were agreed with Dev at our planning meeting. We will look at them "
            "again at the review, sooner if I go into hospital."
        ),
    },
    "money": {
        "allocation_pence": 1_850_000,
        "allocation_frequency": "annual",
        "holding": ["direct_payment", "council_managed"],
        "holding_notes": (
            "I take most of the money as a direct payment so I can employ my own PA. Claire helps "
            "me with the payroll service and keeps the receipts. The council manages the money "
            "for the day-centre place because they already have a contract."
        ),
    },
    "action_plan": {
        "notes": (
            "Claire and I will go through the actions each Sunday. Anything that slips goes on "
            "the list for the next review."
        ),
    },
    "review": {
        "care_coordinator_name": "Sunita Rahman",
        "care_coordinator_contact": "Sheffield personal health budgets team, 0114 496 0100",
        "review_date": (dt.date.today() + dt.timedelta(days=182)).isoformat(),
        "how_reviewed": (
            "Sunita will visit me at home with Claire. We will look at whether I am getting to "
            "singing, how many times I went into hospital, and how the money has been spent "
            "against this plan."
        ),
        "going_well_signs": (
            "I am at singing most weeks, I have had no hospital stays, and I am walking to the "
            "end of the road. I feel less anxious in the mornings."
        ),
        "going_wrong_signs": (
            "I miss singing for more than two weeks, I use my rescue pack more than once a "
            "month, or Claire notices I am not eating properly or I sound low on the phone."
        ),
    },
    "contacts": {
        "notes": (
            "For anything about my breathing call Dev first. For anything about the money or the "
            "PA's hours call Sunita. Out of hours, call 111 or 999 in an emergency."
        ),
    },
}

# The section every write worker keeps changing: the first and second of these alternate.
WRITE_SECTION = "starting_point"
WRITE_FIELD = "what_i_want_to_achieve"
WRITE_ALTERNATIVE = (
    "I want to stay in my own home and get to the singing group every Thursday. By the summer "
    "I would like to walk to the post box and back without stopping, and to spend the winter "
    "at home rather than in hospital."
)

OUTCOMES: list[dict[str, str]] = [
    {
        "title": "Get to the singing group every week",
        "how": (
            "My PA drives me there on Thursdays and waits for me. On weeks she is off, the "
            "community transport scheme takes me."
        ),
    },
    {
        "title": "Wash safely and keep my independence at home",
        "how": (
            "A walk-in shower is fitted and my PA helps me shower three mornings a week, at the "
            "time I choose."
        ),
    },
    {
        "title": "Fewer hospital stays with my breathing",
        "how": (
            "I keep up pulmonary rehab, use my rescue pack early, and my PA helps me notice when "
            "my chest is getting worse."
        ),
    },
]

# (outcome index, item): each support item says which outcome it helps.
SUPPORT_ITEMS: list[tuple[int, dict[str, Any]]] = [
    (
        1,
        {
            "description": "Personal assistant, 9 hours a week (mornings)",
            "provider": "Employed directly through the payroll service",
            "cost_pence": 14_850,
            "frequency": "weekly",
        },
    ),
    (
        0,
        {
            "description": "Personal assistant, 3 hours on Thursdays (singing group)",
            "provider": "Employed directly through the payroll service",
            "cost_pence": 4_950,
            "frequency": "weekly",
        },
    ),
    (
        0,
        {
            "description": "Community transport when my PA is off",
            "provider": "Hillsborough Community Transport",
            "cost_pence": 2_400,
            "frequency": "monthly",
        },
    ),
    (
        2,
        {
            "description": "Pulmonary rehab gym sessions",
            "provider": "Sheffield Breathe Easy Club",
            "cost_pence": 3_000,
            "frequency": "monthly",
        },
    ),
    (
        2,
        {
            "description": "Payroll and employer insurance for my PA",
            "provider": "Sheffield Direct Payments Support",
            "cost_pence": 32_000,
            "frequency": "annual",
        },
    ),
]

# (outcome index or None, action, days from today until it is due)
ACTIONS: list[tuple[int | None, dict[str, Any], int]] = [
    (1, {"what": "Advertise for a personal assistant and hold interviews", "who": "Claire"}, 28),
    (1, {"what": "Get an occupational therapist to assess me for a shower", "who": "Dev"}, 14),
    (0, {"what": "Register with the community transport scheme", "who": "Maggie"}, 7),
    (2, {"what": "Write my breathing rescue plan and put a copy on the fridge", "who": "Dev"}, 10),
]

CONTACTS: list[dict[str, str]] = [
    {
        "name": "Dev Mistry",
        "role": "Community matron",
        "when_to_contact": "If my breathing is worse than usual or I have started my rescue pack.",
        "phone": "0114 496 0321",
        "email": "dev.mistry@example.nhs.uk",
    },
    {
        "name": "Sunita Rahman",
        "role": "Care coordinator, personal health budgets team",
        "when_to_contact": "About my budget, my PA's hours, or if the plan is not working.",
        "phone": "0114 496 0100",
        "email": "sunita.rahman@example.org",
    },
]


def action_body(action: dict[str, Any], days: int, outcome_id: str | None) -> dict[str, Any]:
    body = dict(action)
    body["due_by"] = (dt.date.today() + dt.timedelta(days=days)).isoformat()
    if outcome_id is not None:
        body["outcome_id"] = outcome_id
    return body


# --- a plan with a long narrative (the 30-page export) ----------------------------------------

_NARRATIVE = (
    "On a good day I get up at eight, do my breathing exercises and have breakfast at the "
    "kitchen table while the radio is on. On a bad day my chest is tight before I have even "
    "sat up, and everything takes twice as long. I want the people who help me to know the "
    "difference and to give me time, because rushing makes my breathing worse. "
)


def long_text(opening: str, length: int = 5000) -> str:
    """A person's own words, as long as a field allows: an opening, then their day in detail."""
    text = opening.rstrip() + " "
    while len(text) < length:
        text += _NARRATIVE
    return text[:length].rsplit(" ", 1)[0] + "."


def long_sections(list_items: int = 4) -> dict[str, dict[str, Any]]:
    """Every free-text field of every section written to its limit, and `list_items` long
    entries in each list: the narrative of a plan that prints to about 30 pages (A4, standard)."""
    sections = {key: dict(content) for key, content in SECTIONS.items()}
    for key, content in sections.items():
        for name, value in list(content.items()):
            if isinstance(value, str) and len(value) > 120:
                content[name] = long_text(value)
            elif isinstance(value, list) and value and isinstance(value[0], str) and key != "money":
                content[name] = [long_text(value[i % len(value)], 1500) for i in range(list_items)]
    return sections
