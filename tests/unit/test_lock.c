/* PLACEHOLDER */
#include "helpers.h"
int main(void) { el_test_skip("PLACEHOLDER: not written yet"); }
