/*
 * main.c -- the danelab command: verb dispatch.
 */
#include <stdio.h>
int
main(void)
{
	return 0;
}
