/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* A standalone driver for the fuzz targets: feeds each file named on the
 * command line (or every file of each folder named) to
 * LLVMFuzzerTestOneInput once, so that a corpus can be replayed under
 * valgrind with gcc, without libFuzzer. */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f) {
        perror(path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return 1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int i, rc = 0, count = 0;
    struct stat st;
    DIR *d;
    struct dirent *e;
    char path[4096];

    for (i = 1; i < argc; i++) {
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (!(d = opendir(argv[i]))) {
                return 1;
            }
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.') {
                    continue;
                }
                snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
                rc |= run_file(path);
                count++;
            }
            closedir(d);
        }
        else {
            rc |= run_file(argv[i]);
            count++;
        }
    }
    printf("replayed %d inputs\n", count);
    return rc;
}
