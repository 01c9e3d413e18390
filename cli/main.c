/* main.c — the aspen command line: dispatch to one file per command. */
#include <stdio.h>
#include <string.h>

#define ASPEN_VERSION "0.1.0"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("aspen %s\n", ASPEN_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: aspen COMMAND [ARGS]\n");
	return 1;
}
