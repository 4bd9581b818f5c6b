"""Sample manifests for the demo, tests and benchmarks."""

from __future__ import annotations

from typing import Any

from plebiscite.setup.manifest import Manifest

YES = {"uk": "Так", "ru": "Да", "en": "Yes"}
NO = {"uk": "Ні", "ru": "Нет", "en": "No"}


def referendum(election_id: str = "demo-referendum", extra_questions: bool = True) -> Manifest:
    """A yes/no referendum; with ``extra_questions`` also a 1-of-3 question with blank and an approval question."""
    questions: list[dict[str, Any]] = [
        {
            "id": "q1",
            "type": "yesno",
            "text": {
                "uk": "Чи підтримуєте ви збереження місцевого самоврядування?",
                "ru": "Поддерживаете ли вы сохранение местного самоуправления?",
                "en": "Do you support keeping local self-government?",
            },
            "options": [{"id": "yes", "label": YES}, {"id": "no", "label": NO}],
        }
    ]
    if extra_questions:
        questions.append(
            {
                "id": "q2",
                "type": "choose",
                "blank": True,
                "text": {
                    "uk": "Яка мова навчання?",
                    "ru": "Какой язык обучения?",
                    "en": "Which language of teaching?",
                },
                "options": [
                    {"id": "uk", "label": {"uk": "Українська", "ru": "Украинский", "en": "Ukrainian"}},
                    {"id": "bi", "label": {"uk": "Дві мови", "ru": "Два языка", "en": "Bilingual"}},
                    {
                        "id": "local",
                        "label": {"uk": "Місцеве рішення", "ru": "Местное решение", "en": "Local choice"},
                    },
                ],
            }
        )
        questions.append(
            {
                "id": "q3",
                "type": "approval",
                "min": 1,
                "max": 2,
                "text": {"uk": "Пріоритети бюджету", "ru": "Приоритеты бюджета", "en": "Budget priorities"},
                "options": [
                    {"id": "schools", "label": {"uk": "Школи", "ru": "Школы", "en": "Schools"}},
                    {"id": "roads", "label": {"uk": "Дороги", "ru": "Дороги", "en": "Roads"}},
                    {"id": "clinics", "label": {"uk": "Лікарні", "ru": "Больницы", "en": "Clinics"}},
                ],
            }
        )
    return Manifest.model_validate(
        {
            "election_id": election_id,
            "title": {"uk": "Місцевий референдум", "ru": "Местный референдум", "en": "Local referendum"},
            "questions": questions,
        }
    )
