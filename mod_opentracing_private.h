/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

#ifndef MOD_OPENTRACING_PRIVATE_H
#define MOD_OPENTRACING_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

/* Everything else in the DSO is hidden (-fvisibility=hidden). */
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
extern module AP_MODULE_DECLARE_DATA opentracing_module;

/* APLOG_USE_MODULE(opentracing) comes with AP_DECLARE_MODULE in
 * mod_opentracing.c; a second glue file would add it here. */

/* Our own log tags: OTnnnnn, never reused (AHnnnnn belong to httpd). */
#define OTLOGNO(n) "OT" #n ": "

#endif /* MOD_OPENTRACING_PRIVATE_H */
