"""The map's district boundaries (``GET /api/map/districts``) and its complete legend."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from tests.web.conftest import Seeded, bearer

from lantian.demo.boundaries import BOUNDARIES_FILE


def _feature(city: str, district: str) -> dict[str, object]:
    ring = [[118.1, 39.6], [118.2, 39.6], [118.2, 39.7], [118.1, 39.6]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"city": city, "district": district, "synthetic": True},
    }


def test_district_boundaries_of_the_callers_cities(
    client: TestClient, seeded_sqlite: Seeded
) -> None:
    city = bearer(client, "ts_city")
    # no boundaries file: an empty layer, not an error
    assert client.get("/api/map/districts", headers=city).json() == {
        "type": "FeatureCollection",
        "features": [],
    }
    path = seeded_sqlite.settings.resolved_home / BOUNDARIES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    features = [
        _feature("唐山市", "路北区"),
        _feature("唐山市", "路南区"),
        _feature("石家庄市", "长安区"),
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    got = client.get("/api/map/districts", headers=city).json()["features"]
    assert sorted(f["properties"]["district"] for f in got) == ["路北区", "路南区"]
    got = client.get("/api/map/districts", headers=bearer(client, "sjz_city")).json()["features"]
    assert [f["properties"]["district"] for f in got] == ["长安区"]
    assert (
        len(client.get("/api/map/districts", headers=bearer(client, "admin")).json()["features"])
        == 3
    )


def test_map_legend_explains_every_marker_kind(login_as: object) -> None:
    c, _csrf = login_as("ts_city")  # type: ignore[operator]
    text = c.get("/map").text
    legend = text[
        text.index('id="map-legend"') : text.index("</span></div>", text.index('id="map-legend"'))
    ]
    # the four marker kinds drawn by app.js (enterprise, enterprise with leads, station,
    # station with leads) and the boundary layer
    for cls, label in [
        ("dot ent", "企业"),
        ("dot ent hot", "有待办线索的企业"),
        ("dot st", "监测站"),
        ("dot st hot", "有待办线索的监测站"),
        ("swatch district", "区县边界"),
    ]:
        assert f'class="{cls}"' in legend and label in legend, cls
    assert 'data-districts-url="/api/map/districts"' in text
