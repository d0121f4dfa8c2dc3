#!/bin/sh
# Run the cmocka unit test commands given as arguments (a binary, or a
# command line such as "valgrind ... binary"); print one summary line and
# fail when any test failed.
status=0
passed=0
failed=0
for bin in "$@"; do
    echo "== $bin"
    out=$(sh -c "$bin" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | head -n1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | head -n1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ]; then
        status=1
        [ -z "$f" ] && failed=$((failed + 1))
    fi
done
echo "unit: $passed passed, $failed failed"
exit $status
