#!/usr/bin/env python3
"""Converts an Apache access log (combined format) to NDJSON with typed fields.

    python3 bench/apache_to_ndjson.py ../shared/data/apache_access_elastic/apache_logs > out.ndjson

Each line becomes {"timestamp", "message" (the request line), "client": {"ip"}, "http":
{"method", "path", "version", "status", "bytes", "referrer"}, "user_agent"}, in the style of
web servers' JSON access logs. "-" values are left out. Lines that do not parse are passed on as
{"message": line} and counted on stderr. Used by docs/PERFORMANCE.md (storage size).
"""
import json
import re
import sys
from datetime import datetime

LINE = re.compile(
    r'^(?P<ip>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" '
    r'(?P<status>\d{3}) (?P<bytes>\S+)(?: "(?P<referrer>[^"]*)" "(?P<agent>[^"]*)")?')


def convert(line):
    m = LINE.match(line)
    if m is None:
        return None
    t = datetime.strptime(m['time'], '%d/%b/%Y:%H:%M:%S %z')
    rec = {'timestamp': t.isoformat().replace('+00:00', 'Z'), 'message': m['request']}
    rec['client'] = {'ip': m['ip']}
    if m['user'] != '-':
        rec['client']['user'] = m['user']
    http = {}
    parts = m['request'].split(' ')
    if len(parts) == 3:
        http['method'], http['path'], http['version'] = parts
    http['status'] = int(m['status'])
    if m['bytes'] != '-':
        http['bytes'] = int(m['bytes'])
    if m['referrer'] not in (None, '-'):
        http['referrer'] = m['referrer']
    rec['http'] = http
    if m['agent'] not in (None, '-'):
        rec['user_agent'] = m['agent']
    return rec


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bad = 0
    out = sys.stdout
    with open(sys.argv[1], encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line:
                continue
            rec = convert(line)
            if rec is None:
                bad += 1
                rec = {'message': line}
            out.write(json.dumps(rec, separators=(',', ':'), ensure_ascii=False))
            out.write('\n')
    if bad:
        print(f'{bad} lines did not parse', file=sys.stderr)


if __name__ == '__main__':
    main()
