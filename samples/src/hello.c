/* hello: the app of the sample dist/, found its library through RUNPATH $ORIGIN/../lib. */
#include <stdlib.h>
#include <string.h>

int greet(const char *name);
int greet_loud(const char *name);

int main(int argc, char **argv) {
    const char *who = argc > 1 ? argv[1] : "world";
    char *copy = strdup(who);
    int n = getenv("LOUD") ? greet_loud(copy) : greet(copy);
    free(copy);
    return n < 0;
}
