#!/usr/bin/env node
/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * propagators.js: the OpenTelemetry JavaScript propagators from npm as a
 * command, for tests that check mod_opentracing's propagation formats
 * against an independent implementation.
 *
 * Usage:
 *   node t/tools/propagators.js extract FORMAT...  < headers.json
 *   node t/tools/propagators.js inject FORMAT...   < context.json
 *
 * FORMAT (one or more, also comma-separated: a CompositePropagator of them
 * in that order, as OTEL_PROPAGATORS would make it):
 *   w3c      W3CTraceContextPropagator (@opentelemetry/core): traceparent,
 *            tracestate
 *   baggage  W3CBaggagePropagator (@opentelemetry/core): baggage
 *   b3       B3Propagator, B3InjectEncoding.SINGLE_HEADER: b3
 *   b3multi  B3Propagator, B3InjectEncoding.MULTI_HEADER: X-B3-*
 *   jaeger   JaegerPropagator (@opentelemetry/propagator-jaeger):
 *            uber-trace-id, uberctx-*
 * (B3Propagator extracts both b3 encodings whichever is named.)
 *
 * extract: standard input is a JSON object of request headers, a value a
 * string or an array of strings (one per header line); names are matched
 * case-insensitively.  Prints one JSON object:
 *   { "valid": true|false,          isSpanContextValid() of what came out
 *     "traceId", "spanId",          lowercase hex, as the propagator made
 *     "traceFlags",                 a number      them (present only when
 *     "isRemote",                   true          a span context came out)
 *     "traceState",                 TraceState.serialize(), or null
 *     "debug",                      B3 only: the debug flag ("d" from b3,
 *                                   "1" from X-B3-Flags), or null
 *     "baggage": { key: { "value": ..., "metadata": ... } } }
 *                                   (metadata only where an entry has it)
 *
 * inject: standard input is a JSON object
 *   { "traceId", "spanId", "traceFlags" (a number, default 0),
 *     "traceState" (a tracestate header value, optional),
 *     "debug": true (optional, b3 and b3multi: the B3 debug flag),
 *     "baggage": { key: "value" or { "value", "metadata" } } (optional) }
 * and prints the headers the propagators write, as a JSON object (names
 * as the propagators write them).
 *
 * Exit status: 0 done, 1 the input is not what is described above, 2 usage
 * error or the packages are missing.
 *
 * The packages are looked up in OT_NPM_DIR (the folder holding
 * node_modules/, as `npm install --prefix` makes it), else in the
 * checkout's build/npm (the Makefile's NPM_PACKAGES, installed by
 * `make integration`).  Only Node.js built-ins besides those.
 */

'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const FORMATS = ['w3c', 'baggage', 'b3', 'b3multi', 'jaeger'];

function fail(status, msg) {
    process.stderr.write('propagators: ' + msg + '\n');
    if (status === 2) {
        process.stderr.write('usage: propagators.js extract|inject FORMAT... < JSON'
            + ' (FORMAT: ' + FORMATS.join(', ') + ')\n');
    }
    process.exit(status);
}

/* A require() that resolves in the npm folder, so that every package comes
 * from the one installed tree. */
function npmRequire() {
    const dir = process.env.OT_NPM_DIR
        || path.join(__dirname, '..', '..', 'build', 'npm');
    const nm = path.join(dir, 'node_modules');
    if (!fs.existsSync(path.join(nm, '@opentelemetry', 'propagator-jaeger'))) {
        fail(2, 'no OpenTelemetry propagators in ' + nm
            + ' (make integration installs them; OT_NPM_DIR names another folder)');
    }
    return createRequire(path.join(nm, 'noop.js'));
}

const req = npmRequire();
const api = req('@opentelemetry/api');
const core = req('@opentelemetry/core');
const b3 = req('@opentelemetry/propagator-b3');
const jaeger = req('@opentelemetry/propagator-jaeger');
/* Where B3Propagator keeps the debug flag in a context; the package does
 * not export it from its index. */
const { B3_DEBUG_FLAG_KEY } = req('@opentelemetry/propagator-b3/build/src/common');

function propagatorOf(name) {
    switch (name) {
    case 'w3c':
        return new core.W3CTraceContextPropagator();
    case 'baggage':
        return new core.W3CBaggagePropagator();
    case 'b3':
        return new b3.B3Propagator({ injectEncoding: b3.B3InjectEncoding.SINGLE_HEADER });
    case 'b3multi':
        return new b3.B3Propagator({ injectEncoding: b3.B3InjectEncoding.MULTI_HEADER });
    case 'jaeger':
        return new jaeger.JaegerPropagator();
    default:
        return fail(2, 'unknown format ' + JSON.stringify(name));
    }
}

function readJson() {
    let text;
    try {
        text = fs.readFileSync(0, 'utf8');
    }
    catch (e) {
        fail(1, 'cannot read standard input: ' + e.message);
    }
    let v;
    try {
        v = JSON.parse(text);
    }
    catch (e) {
        fail(1, 'standard input is not JSON: ' + e.message);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
        fail(1, 'standard input is not a JSON object');
    }
    return v;
}

/* Header names in lowercase (the propagators' getters look them up so);
 * repeated names are joined into one array. */
function headerCarrier(obj) {
    const carrier = {};
    for (const [k, v] of Object.entries(obj)) {
        const vals = Array.isArray(v) ? v : [v];
        if (vals.some((x) => typeof x !== 'string')) {
            fail(1, 'header ' + k + ': a value is not a string');
        }
        const name = k.toLowerCase();
        carrier[name] = (carrier[name] || []).concat(vals);
    }
    for (const k of Object.keys(carrier)) {
        if (carrier[k].length === 1) {
            carrier[k] = carrier[k][0];
        }
    }
    return carrier;
}

function extract(propagator, headers) {
    const ctx = propagator.extract(api.ROOT_CONTEXT, headerCarrier(headers),
                                   api.defaultTextMapGetter);
    const sc = api.trace.getSpanContext(ctx);
    const out = { valid: !!sc && api.isSpanContextValid(sc) };
    if (sc) {
        out.traceId = sc.traceId;
        out.spanId = sc.spanId;
        out.traceFlags = sc.traceFlags;
        out.isRemote = sc.isRemote;
        out.traceState = sc.traceState ? sc.traceState.serialize() : null;
    }
    const debug = ctx.getValue(B3_DEBUG_FLAG_KEY);
    out.debug = debug === undefined ? null : debug;
    out.baggage = {};
    const bag = api.propagation.getBaggage(ctx);
    for (const [k, e] of bag ? bag.getAllEntries() : []) {
        out.baggage[k] = { value: e.value };
        if (e.metadata) {
            out.baggage[k].metadata = e.metadata.toString();
        }
    }
    return out;
}

function field(obj, name, type, required) {
    const v = obj[name];
    if (v === undefined && !required) {
        return undefined;
    }
    if (typeof v !== type) {
        fail(1, 'context: "' + name + '" must be a ' + type);
    }
    return v;
}

function inject(propagator, names, c) {
    let ctx = api.ROOT_CONTEXT;
    if (c.traceId !== undefined || c.spanId !== undefined) {
        const sc = {
            traceId: field(c, 'traceId', 'string', true),
            spanId: field(c, 'spanId', 'string', true),
            traceFlags: field(c, 'traceFlags', 'number', false) || 0,
            isRemote: false,
        };
        const ts = field(c, 'traceState', 'string', false);
        if (ts !== undefined) {
            sc.traceState = new core.TraceState(ts);
        }
        ctx = api.trace.setSpanContext(ctx, sc);
    }
    if (field(c, 'debug', 'boolean', false)) {
        const single = names.includes('b3'), multi = names.includes('b3multi');
        if (single === multi) {
            fail(1, 'context: "debug" needs exactly one of b3, b3multi');
        }
        ctx = ctx.setValue(B3_DEBUG_FLAG_KEY, single ? 'd' : '1');
    }
    const bag = field(c, 'baggage', 'object', false);
    if (bag) {
        const entries = {};
        for (const [k, e] of Object.entries(bag)) {
            const ent = typeof e === 'string' ? { value: e } : e;
            if (!ent || typeof ent.value !== 'string') {
                fail(1, 'context: baggage "' + k + '" has no string value');
            }
            entries[k] = { value: ent.value };
            if (ent.metadata !== undefined) {
                entries[k].metadata = api.baggageEntryMetadataFromString(String(ent.metadata));
            }
        }
        ctx = api.propagation.setBaggage(ctx, api.propagation.createBaggage(entries));
    }
    const headers = {};
    propagator.inject(ctx, headers, api.defaultTextMapSetter);
    return headers;
}

function main(argv) {
    const [mode, ...rest] = argv;
    const names = [].concat(...rest.map((a) => a.split(','))).filter((a) => a);
    if ((mode !== 'extract' && mode !== 'inject') || !names.length) {
        fail(2, mode === '-h' || mode === '--help' ? 'see the top of this file'
            : 'expected a mode and at least one format');
    }
    const propagators = names.map(propagatorOf);
    const propagator = propagators.length === 1 ? propagators[0]
        : new core.CompositePropagator({ propagators });
    const input = readJson();
    const out = mode === 'extract' ? extract(propagator, input)
        : inject(propagator, names, input);
    process.stdout.write(JSON.stringify(out) + '\n');
}

main(process.argv.slice(2));
