#!/usr/bin/env python3
"""Builds llm-anthropic-cassettes.jsonl from simonw/llm-anthropic's VCR cassettes.

Usage: build_fixture.py CASSETTE_DIR > llm-anthropic-cassettes.jsonl
Prints the expected per-record usage table (for tests/anthropic_real.rs) to stderr.

Each POST /v1/messages interaction becomes one log line in the importer's shape:
  {"ts", "latency_ms", "metadata", "request", "response"}
- ts: the response's Date header (second precision), as RFC 3339 UTC.
- latency_ms: the x-envoy-upstream-service-time header, when present.
- metadata: team "llm-anthropic", app "pytest", feature = the cassette's file stem.
- request: the recorded request body, parsed, unchanged.
- response: the recorded body (gzip bodies decompressed). All 26 are SSE streams. By position:
  n % 4 == 1: the list of its SSE event objects (the data of each event, parsed);
  n % 4 == 3 and n < 16: a final message object assembled from the stream (message_start's
    message with usage = the merged usage, content emptied: the text is not needed);
  otherwise: the SSE text as recorded.
The image GETs to static.simonwillison.net are not API calls and are left out.
"""
import glob, gzip, json, os, sys
from email.utils import parsedate_to_datetime
import yaml

def header(headers, name):
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v[0] if isinstance(v, list) else v
    return None

def events_of(text):
    out = []
    for block in text.replace('\r\n', '\n').split('\n\n'):
        data = [l[5:].lstrip(' ') if l.startswith('data:') else None for l in block.split('\n')]
        data = [d for d in data if d is not None]
        if data:
            out.append(json.loads('\n'.join(data)))
    return out

def main(directory):
    n = 0
    table = []
    for path in sorted(glob.glob(os.path.join(directory, '*.yaml'))):
        stem = os.path.splitext(os.path.basename(path))[0]
        for it in yaml.safe_load(open(path))['interactions']:
            req, resp = it['request'], it['response']
            if req['method'] != 'POST' or not req['uri'].endswith('/v1/messages'):
                continue
            body = resp['body']['string']
            if isinstance(body, bytes):
                body = gzip.decompress(body).decode()
            date = parsedate_to_datetime(header(resp['headers'], 'Date'))
            line = {'ts': date.strftime('%Y-%m-%dT%H:%M:%SZ')}
            latency = header(resp['headers'], 'x-envoy-upstream-service-time')
            if latency is not None:
                line['latency_ms'] = int(latency)
            line['metadata'] = {'team': 'llm-anthropic', 'app': 'pytest', 'feature': stem}
            line['request'] = json.loads(req['body'])
            events = events_of(body)
            usage, msg = {}, None
            for e in events:
                if e['type'] == 'message_start':
                    msg = e['message']
                    usage.update({k: v for k, v in msg['usage'].items() if v is not None})
                elif e['type'] == 'message_delta' and e.get('usage'):
                    usage.update({k: v for k, v in e['usage'].items() if v is not None})
            if n % 4 == 1:
                line['response'] = events
            elif n % 4 == 3 and n < 16:
                final = dict(msg)
                final['usage'] = usage
                final['content'] = []
                line['response'] = final
            else:
                line['response'] = body
            print(json.dumps(line, ensure_ascii=False, separators=(',', ':')))
            table.append((msg['id'], msg['model'], usage['input_tokens'], usage['output_tokens'],
                          usage.get('server_tool_use', {}).get('web_search_requests', 0),
                          usage.get('output_tokens_details', {}).get('thinking_tokens')))
            n += 1
    for row in table:
        think = 'None' if row[5] is None else f'Some({row[5]})'
        print(f'    ("{row[0]}", "{row[1]}", {row[2]}, {row[3]}, {row[4]}, {think}),', file=sys.stderr)

if __name__ == '__main__':
    main(sys.argv[1])
