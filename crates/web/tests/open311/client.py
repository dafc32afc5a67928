"""A real Open311 client against Lägesbild: the PyPI package `georeport` (GETs, JSON and XML,
parsed by xmltodict) and, for POST (which georeport lacks; the older PyPI package `open311`
is Python 2 only), `requests` exactly as the specification describes the call. Every JSON
answer is validated against schemas.json; every XML answer is parsed and must hold the same
records with the same fields. Prints one JSON line of what it found; exits non-zero on a
failure.

usage: client.py BASE JURISDICTION API_KEY SERVICE_CODE
"""
import json
import os
import sys

import georeport
import jsonschema
import requests
import xmltodict

base, jurisdiction, key, code = sys.argv[1:5]
schemas = json.load(open(os.path.join(os.path.dirname(__file__), "schemas.json")))


def check(kind, value):
    jsonschema.validate(value, schemas[kind], format_checker=jsonschema.FormatChecker())
    return value


def as_list(x):
    return x if isinstance(x, list) else [x]


def check_xml(kind, records):
    """XML has no types: each record must carry every element the schema requires, and no
    element the schema does not name."""
    items = schemas[kind]["items"]
    for r in as_list(records):
        missing = set(items.get("required", [])) - set(r)
        extra = set(r) - set(items["properties"])
        assert not missing and not extra, (kind, missing, extra, r)
    return records


found = {}
js = georeport.GeoReport(base, jurisdiction=jurisdiction, output_format="json")
xml = georeport.GeoReport(base, jurisdiction=jurisdiction, output_format="xml")

services = check("services", js.get_service_list())
found["services"] = [s["service_code"] for s in services]
xml_services = as_list(check_xml("services", xml.get_service_list()))
assert [s["service_code"] for s in xml_services] == found["services"], xml_services
assert code in found["services"], found

check("service_definition", js.get_service_definition(code))
definition = xml.get_service_definition(code)
assert definition["service_code"] == code, definition
found["attributes"] = [a["code"] for a in as_list(definition["attributes"]["attribute"])]

for fmt in ["json", "xml"]:
    r = requests.get(f"{base}/discovery.{fmt}")
    r.raise_for_status()
    if fmt == "json":
        check("discovery", r.json())
    else:
        d = xmltodict.parse(r.content)["discovery"]
        assert d["endpoints"]["endpoint"]["specification"].endswith("GeoReport_v2"), d

# POST, as the specification describes it: form-encoded, api_key and jurisdiction_id.
post = {
    "api_key": key,
    "jurisdiction_id": jurisdiction,
    "service_code": code,
    "lat": "59.4224",
    "long": "16.0978",
    "address_string": "Gångtunneln vid stationen",
    "description": "Trasig belysning i gångtunneln",
    "email": "medborgare@example.se",
    "first_name": "Test",
    "attribute[occurred]": "2026-11-26T21:30:00+01:00",
}
r = requests.post(f"{base}/requests.json", data=post)
assert r.status_code == 200, (r.status_code, r.text)
created = check("created", r.json())[0]
found["created_json"] = created["service_request_id"]
r = requests.post(f"{base}/requests.xml", data=post)
assert r.status_code == 200, (r.status_code, r.text)
created_xml = check_xml("created", xmltodict.parse(r.content)["service_requests"]["request"])
found["created_xml"] = created_xml["service_request_id"]

# A wrong key: 403, the specification's error list, in both formats.
bad = dict(post, api_key="fel")
r = requests.post(f"{base}/requests.json", data=bad)
assert r.status_code == 403, r.status_code
check("errors", r.json())
r = requests.post(f"{base}/requests.xml", data=bad)
assert r.status_code == 403
e = check_xml("errors", xmltodict.parse(r.content)["errors"]["error"])
assert e["code"] == "403" and e["description"], e
# No location: 400.
r = requests.post(f"{base}/requests.json", data={k: v for k, v in post.items() if k not in ("lat", "long", "address_string")})
assert r.status_code == 400, r.status_code
found["no_location"] = check("errors", r.json())[0]["description"]

all_requests = check("requests", js.get_service_requests())
found["requests"] = sorted(x["service_request_id"] for x in all_requests)
xml_requests = as_list(check_xml("requests", xml.get_service_requests()))
assert sorted(x["service_request_id"] for x in xml_requests) == found["requests"]
one = check("requests", [js.get_service_request(found["created_json"])])
assert len(one) == 1 and one[0]["service_request_id"] == found["created_json"]
found["one"] = one[0]
one_xml = xml.get_service_request(found["created_xml"])
assert one_xml["service_request_id"] == found["created_xml"], one_xml
open_only = check("requests", js.get_service_requests(status="open"))
found["open"] = len(open_only)
r = requests.get(f"{base}/tokens/{created['token']}.json", params={"jurisdiction_id": jurisdiction})
r.raise_for_status()
tokens = check("tokens", r.json())
assert tokens[0]["service_request_id"] == found["created_json"], tokens
r = requests.get(f"{base}/requests/999999.json", params={"jurisdiction_id": jurisdiction})
assert r.status_code == 404
check("errors", r.json())
print(json.dumps(found, ensure_ascii=False))
