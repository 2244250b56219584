/*
 * Reads iCalendar files with libical (the C library behind Evolution and many servers) and prints, per
 * file, one JSON object: the parse errors libical recorded (X-LIC-ERROR) and each event's UID, SUMMARY,
 * DESCRIPTION, start and STATUS. Built by the third-party parser test with gcc and pkg-config.
 */
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_string(const char *value) {
  if (value == NULL) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
    if (*c == '"' || *c == '\\') {
      putchar('\\');
      putchar(*c);
    } else if (*c < 0x20) {
      printf("\\u%04x", *c);
    } else {
      putchar(*c);
    }
  }
  putchar('"');
}

static char *read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) return NULL;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  size_t got = fread(text, 1, (size_t)size, file);
  text[got] = '\0';
  fclose(file);
  return text;
}

static void print_errors(icalcomponent *component, int *first) {
  for (icalproperty *p = icalcomponent_get_first_property(component, ICAL_XLICERROR_PROPERTY); p != NULL;
       p = icalcomponent_get_next_property(component, ICAL_XLICERROR_PROPERTY)) {
    if (!*first) putchar(',');
    *first = 0;
    json_string(icalproperty_get_xlicerror(p));
  }
  for (icalcomponent *child = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT); child != NULL;
       child = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT)) {
    print_errors(child, first);
  }
}

static void print_start(icalcomponent *event) {
  struct icaltimetype start = icalcomponent_get_dtstart(event);
  if (icaltime_is_null_time(start)) {
    fputs("null", stdout);
  } else if (start.is_date) {
    printf("\"date:%04d-%02d-%02d\"", start.year, start.month, start.day);
  } else {
    struct icaltimetype utc = icaltime_convert_to_zone(start, icaltimezone_get_utc_timezone());
    printf("\"utc:%lld\"", (long long)icaltime_as_timet(utc));
  }
}

int main(int argc, char **argv) {
  putchar('[');
  for (int i = 1; i < argc; i++) {
    char *text = read_file(argv[i]);
    if (i > 1) putchar(',');
    fputs("{\"file\":", stdout);
    json_string(argv[i]);
    icalcomponent *calendar = text ? icalparser_parse_string(text) : NULL;
    fputs(",\"errors\":[", stdout);
    int first = 1;
    if (calendar == NULL) {
      json_string("libical could not parse the file");
    } else {
      print_errors(calendar, &first);
    }
    fputs("],\"events\":[", stdout);
    if (calendar != NULL) {
      /* Collect first: reading DTSTART looks up the VTIMEZONE through the calendar's own (shared) iterator. */
      int count = icalcomponent_count_components(calendar, ICAL_VEVENT_COMPONENT);
      icalcomponent **events = calloc((size_t)count + 1, sizeof *events);
      int n = 0;
      for (icalcomponent *e = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT); e != NULL && n < count;
           e = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
        events[n++] = e;
      }
      for (int j = 0; j < n; j++) {
        if (j > 0) putchar(',');
        fputs("{\"uid\":", stdout);
        json_string(icalcomponent_get_uid(events[j]));
        fputs(",\"summary\":", stdout);
        json_string(icalcomponent_get_summary(events[j]));
        fputs(",\"description\":", stdout);
        json_string(icalcomponent_get_description(events[j]));
        fputs(",\"start\":", stdout);
        print_start(events[j]);
        fputs(",\"status\":", stdout);
        icalproperty_status status = icalcomponent_get_status(events[j]);
        json_string(status == ICAL_STATUS_NONE ? NULL : icalproperty_status_to_string(status));
        putchar('}');
      }
      free(events);
      icalcomponent_free(calendar);
    }
    fputs("]}", stdout);
    free(text);
  }
  puts("]");
  return 0;
}
