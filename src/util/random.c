/* SPDX-License-Identifier: Apache-2.0 */
#include "util/random.h"

#include <errno.h>
#include <sys/random.h>

#include "util/error.h"
#include "util/text.h"

int el__random(void *buf, size_t n)
{
	unsigned char *p = buf;

	/* Up to 256 bytes come whole; more may come short, or be cut by a signal. */
	while (n) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return el__error_errno(EL_ERROR, "no random bytes from the kernel");
		p += got;
		n -= (size_t)got;
	}
	return EL_OK;
}

int el__random_hex(char *out, size_t nbytes)
{
	unsigned char bytes[32];

	out[0] = '\0';
	while (nbytes) {
		size_t n = nbytes < sizeof(bytes) ? nbytes : sizeof(bytes);
		int ret = el__random(bytes, n);

		if (ret != EL_OK)
			return ret;
		el__hex(out, bytes, n);
		out += 2 * n;
		nbytes -= n;
	}
	return EL_OK;
}
