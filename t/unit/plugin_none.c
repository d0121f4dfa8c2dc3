/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A shared object without the plugin entry point. */

int ot_not_a_plugin(void);

int ot_not_a_plugin(void)
{
    return 42;
}
