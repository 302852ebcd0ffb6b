"""The catalogue of request types a fresh installation starts with, and the questions each asks.

The data migrations seed it (0002, 0007); tests seed it again after a flush. Admins edit the
types and questions afterwards in the Django admin.
"""

REQUEST_TYPES = [
    # name, description, target hours, emergency
    ("Gas Leak", "Gas leak or smell of gas", 1, True),
    ("Carbon Monoxide", "Suspected carbon monoxide: alarm sounding, symptoms, or sooty appliance", 1, True),
    ("New Connection", "Connect a property to the gas network", 240, False),
    ("Maintenance", "Repair or service of a meter, pipe or supply", 72, False),
    ("Disconnection", "Disconnect the gas supply to a property", 120, False),
    ("Reconnection", "Restore a disconnected gas supply", 48, False),
    ("Meter Reading", "Submit or query a meter reading", 120, False),
    ("Billing Query", "A question about a bill or payment", 120, False),
    ("Other", "Anything else", 120, False),
]

GROUPS_AND_KEYWORDS = {
    "Gas Leak": ("Emergencies", "smell of gas, gas escape, leak, hissing"),
    "Carbon Monoxide": ("Emergencies", "CO, fumes, alarm, headache, soot"),
    "New Connection": ("Supply", "connect, new supply, installation, new build"),
    "Maintenance": ("Supply", "repair, fault, meter, pipe, pressure"),
    "Disconnection": ("Supply", "disconnect, cut off, cap, demolition"),
    "Reconnection": ("Supply", "restore, reconnect, turn on"),
    "Meter Reading": ("Meters and billing", "reading, meter, index"),
    "Billing Query": ("Meters and billing", "bill, payment, invoice, tariff, refund"),
    "Other": ("Other", ""),
}

YES_NO_UNSURE = [{"key": "yes", "name": "Yes"}, {"key": "no", "name": "No"}, {"key": "unsure", "name": "Not sure"}]

# Asked of both emergency types: a vulnerable person raises the emergency's priority.
VULNERABLE_QUESTION = (
    "anyone_vulnerable",
    "Is anyone there elderly, disabled, seriously ill or a young child?",
    "singlevaluelist",
    False,
    "",
    YES_NO_UNSURE,
)

# type name: [(code, question, datatype, required, datatype_description, values)]
# Emergency questions are never required: an emergency report is not refused for a missing answer.
QUESTIONS = {
    "Gas Leak": [
        ("gas_escaping", "Can you still smell gas or hear it escaping?", "singlevaluelist", False, "", YES_NO_UNSURE),
        (
            "smell_location",
            "Where is the smell strongest?",
            "singlevaluelist",
            False,
            "",
            [
                {"key": "inside", "name": "Inside a building"},
                {"key": "outside", "name": "Outside (street, garden, meter box)"},
                {"key": "both", "name": "Both inside and outside"},
            ],
        ),
        (
            "meter_off",
            "Can the gas be turned off at the meter control valve?",
            "singlevaluelist",
            False,
            "Only if it is safe to reach the meter.",
            [
                {"key": "turned_off", "name": "Yes, it is now turned off"},
                {"key": "cannot", "name": "No, it cannot be turned off"},
                {"key": "not_tried", "name": "Not tried, or the meter cannot be found"},
            ],
        ),
        (
            "anyone_unwell",
            "Is anyone feeling unwell (headache, dizziness, nausea)?",
            "singlevaluelist",
            False,
            "",
            YES_NO_UNSURE,
        ),
        VULNERABLE_QUESTION,
    ],
    "Carbon Monoxide": [
        (
            "alarm_sounding",
            "Is a carbon-monoxide alarm sounding?",
            "singlevaluelist",
            False,
            "",
            [
                {"key": "yes", "name": "Yes"},
                {"key": "no", "name": "No"},
                {"key": "no_alarm", "name": "There is no alarm"},
            ],
        ),
        (
            "symptoms",
            "Does anyone have any of these symptoms?",
            "multivaluelist",
            False,
            "Choose all that apply.",
            [
                {"key": "headache", "name": "Headache"},
                {"key": "dizziness", "name": "Dizziness"},
                {"key": "nausea", "name": "Nausea or vomiting"},
                {"key": "breathlessness", "name": "Breathlessness"},
                {"key": "collapse", "name": "Collapse or loss of consciousness"},
                {"key": "none", "name": "No symptoms"},
            ],
        ),
        (
            "appliance",
            "Which appliance do you suspect?",
            "singlevaluelist",
            False,
            "",
            [
                {"key": "boiler", "name": "Boiler"},
                {"key": "cooker", "name": "Cooker or hob"},
                {"key": "fire", "name": "Gas fire"},
                {"key": "water_heater", "name": "Water heater"},
                {"key": "unknown", "name": "Not sure"},
            ],
        ),
        VULNERABLE_QUESTION,
    ],
    "Meter Reading": [
        (
            "reading",
            "What does the meter read?",
            "number",
            True,
            "The black digits from left to right; ignore red digits and anything after a decimal point.",
            [],
        ),
        ("read_at", "When did you read it?", "datetime", False, "For example 2026-05-01T09:30+01:00.", []),
        ("meter_serial", "Meter serial number", "string", False, "Printed on the meter, e.g. E6S12345678901.", []),
    ],
    "Maintenance": [
        (
            "fault",
            "What needs attention?",
            "singlevaluelist",
            False,
            "",
            [
                {"key": "meter", "name": "The meter"},
                {"key": "pipework", "name": "Pipework or the meter box"},
                {"key": "pressure", "name": "Low pressure or no supply"},
                {"key": "other", "name": "Something else"},
            ],
        ),
    ],
    "Billing Query": [
        ("account_number", "Account number on your bill", "string", False, "", []),
        ("bill_date", "Date of the bill", "datetime", False, "For example 2026-05-01.", []),
    ],
}
