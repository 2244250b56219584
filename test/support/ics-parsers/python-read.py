"""Reads iCalendar files with two Python parsers, vobject and icalendar (Debian's python3-vobject and
python3-icalendar), and prints per parser and file the errors and each event's UID, SUMMARY, DESCRIPTION,
start and STATUS, as JSON. Used by the third-party parser test."""
import datetime
import json
import sys

import icalendar
import vobject


def start_of(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return "floating:" + value.isoformat()
        return "utc:%d" % int(value.timestamp())
    if isinstance(value, datetime.date):
        return "date:" + value.isoformat()
    return None


def with_vobject(text):
    calendar = vobject.readOne(text, validate=True)
    events = []
    for event in calendar.contents.get("vevent", []):
        events.append({
            "uid": event.uid.value,
            "summary": event.summary.value if hasattr(event, "summary") else None,
            "description": event.description.value if hasattr(event, "description") else None,
            "start": start_of(event.dtstart.value),
            "status": event.status.value if hasattr(event, "status") else None,
        })
    return events


def with_icalendar(text):
    calendar = icalendar.Calendar.from_ical(text)
    events = []
    for event in calendar.walk("VEVENT"):
        events.append({
            "uid": str(event.get("UID")),
            "summary": str(event["SUMMARY"]) if "SUMMARY" in event else None,
            "description": str(event["DESCRIPTION"]) if "DESCRIPTION" in event else None,
            "start": start_of(event.decoded("DTSTART")),
            "status": str(event["STATUS"]) if "STATUS" in event else None,
        })
    errors = [str(error) for component in calendar.walk() for error in getattr(component, "errors", [])]
    return events, errors


def main(paths):
    result = {"vobject": [], "icalendar": []}
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
        try:
            result["vobject"].append({"file": path, "errors": [], "events": with_vobject(text)})
        except Exception as error:  # every failure is a finding, reported as such
            result["vobject"].append({"file": path, "errors": [repr(error)], "events": []})
        try:
            events, errors = with_icalendar(text)
            result["icalendar"].append({"file": path, "errors": errors, "events": events})
        except Exception as error:
            result["icalendar"].append({"file": path, "errors": [repr(error)], "events": []})
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1:])
