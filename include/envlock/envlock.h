/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_H
#define ENVLOCK_H

/* Umbrella header of libenvlock: include this, or the one module you need. */

#include "envlock/version.h"
#include "envlock/error.h"
#include "envlock/lock.h"
#include "envlock/capture.h"
#include "envlock/diff.h"
#include "envlock/data.h"
#include "envlock/profile.h"
#include "envlock/sandbox.h"
#include "envlock/sign.h"
#include "envlock/verdict.h"
#include "envlock/record.h"
#include "envlock/text.h"
#include "envlock/bundle.h"

#endif
