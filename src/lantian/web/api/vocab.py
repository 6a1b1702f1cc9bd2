"""``GET /api/vocab``: every vocabulary (code, zh, en, unit) and the rule titles, so API
clients label codes exactly as the pages, PDFs and Excel do (:mod:`lantian.vocab`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from lantian import vocab
from lantian.vocab import rules as rules_vocab
from lantian.web.deps import ApiPrincipal

router = APIRouter(prefix="/api", tags=["vocab"])


@router.get("/vocab", summary="Vocabularies: code, Chinese and English name, unit")
def get_vocab(principal: ApiPrincipal) -> dict[str, Any]:
    """``{"vocabularies": {key: [{code, zh, en, unit}]}, "rules": [{code, title_zh, title_en,
    description_zh, description_en}]}``."""
    vocabularies = {
        v.key: [{"code": t.code, "zh": t.zh, "en": t.en, "unit": t.unit} for t in v]
        for v in vocab.ALL
    }
    rules = [
        {
            "code": r.code,
            "title_zh": r.title_zh,
            "title_en": r.title_en,
            "description_zh": r.description_zh,
            "description_en": r.description_en,
        }
        for r in rules_vocab.texts().values()
    ]
    return {"vocabularies": vocabularies, "rules": rules}
