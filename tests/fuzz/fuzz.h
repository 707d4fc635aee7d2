/*
 * fuzz.h -- the libFuzzer entry point every tests/fuzz/fuzz_<target>.c
 * defines; replay.c calls it for each file of a corpus.
 */
#ifndef DL_TESTS_FUZZ_H
#define DL_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* DL_TESTS_FUZZ_H */
