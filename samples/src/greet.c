/* libgreet: a tiny shared library with versioned symbols (see greet.map). */
#include <stdio.h>
#include <string.h>

int greet(const char *name) { return printf("hello, %s (%zu)\n", name, strlen(name)); }
int greet_loud(const char *name) { return printf("HELLO, %s!\n", name); }
