/* tool: an aarch64 helper shipped in the same dist/ (cross-compiled). */
#include <stdio.h>
int main(void) { puts("arm64 tool"); return 0; }
