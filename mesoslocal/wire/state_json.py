"""What the master's and the agents' /state and /version share: the version they claim and the v0 flattening of
attributes (notes E)."""

from __future__ import annotations

VERSION = "1.11.0"
BUILD = {"version": VERSION, "build_date": "2020-11-20 00:00:00", "build_time": 1605830400.0,
         "build_user": "mesoslocal", "git_tag": VERSION}


def flatten_attributes(attributes: list[dict]) -> dict:
    flat: dict = {}
    for attribute in attributes:
        kind = attribute.get("type")
        if kind == "SCALAR":
            flat[attribute["name"]] = attribute["scalar"]["value"]
        elif kind == "TEXT":
            flat[attribute["name"]] = attribute["text"]["value"]
        elif kind == "RANGES":
            ranges = attribute["ranges"]["range"]
            flat[attribute["name"]] = "[" + ", ".join(f"{r['begin']}-{r['end']}" for r in ranges) + "]"
        elif kind == "SET":
            flat[attribute["name"]] = "{" + ", ".join(attribute["set"]["item"]) + "}"
    return flat
