/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libnvidia-ml stub: $ENVLOCK_STUB_GPUS devices (default 2), alternately an
 * H100 and an A100 as a real driver would describe them. $ENVLOCK_STUB_NVML
 * acts on nvmlInit_v2 (a value is the driver version, default 550.54.15);
 * $ENVLOCK_STUB_NVML_MEMORY on nvmlDeviceGetMemoryInfo.
 */
#include <stdio.h>

#include "stub.h"

#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define MAX_DEVICES 64

typedef struct stub_device {
	unsigned index;
} *nvmlDevice_t;

typedef struct nvmlMemory_st {
	unsigned long long total, free, used;
} nvmlMemory_t;

int nvmlInit_v2(void);
int nvmlShutdown(void);
int nvmlSystemGetDriverVersion(char *version, unsigned int length);
int nvmlDeviceGetCount_v2(unsigned int *count);
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device);
int nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length);
int nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor);
int nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory);
int nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length);
int nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index);

static const struct model {
	const char *name;
	int major, minor;
	unsigned long long memory; /* bytes, as NVML reports them */
	const char *uuid;          /* the last two digits become the index */
} models[] = {
	{ "NVIDIA H100 80GB HBM3", 9, 0, 81559ULL << 20, "GPU-6f1a9c2e-0b3d-4e5f-8a7b-1c2d3e4f5a" },
	{ "NVIDIA A100-SXM4-40GB", 8, 0, 40960ULL << 20, "GPU-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c" },
};

static struct stub_device devices[MAX_DEVICES];
static int initialized;

STUB_ABORT_ON_LOAD("ENVLOCK_STUB_NVML")

static unsigned device_count(void)
{
	unsigned n = (unsigned)atoi(stub_setting("ENVLOCK_STUB_GPUS", "2"));

	return n < MAX_DEVICES ? n : MAX_DEVICES;
}

static const struct model *model_of(nvmlDevice_t device)
{
	return &models[device->index % 2];
}

static int copy_out(char *out, unsigned int length, const char *text)
{
	if ((size_t)snprintf(out, length, "%s", text) >= length)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	return 0;
}

int nvmlInit_v2(void)
{
	int rc;

	stub_count("nvmlInit_v2");
	if ((rc = stub_behave(stub_setting("ENVLOCK_STUB_NVML", ""))) != 0)
		return rc;
	initialized = 1;
	return 0;
}

int nvmlShutdown(void)
{
	initialized = 0;
	return 0;
}

int nvmlSystemGetDriverVersion(char *version, unsigned int length)
{
	if (!initialized)
		return NVML_ERROR_UNINITIALIZED;
	return copy_out(version, length, stub_setting("ENVLOCK_STUB_NVML", "550.54.15"));
}

int nvmlDeviceGetCount_v2(unsigned int *count)
{
	if (!initialized)
		return NVML_ERROR_UNINITIALIZED;
	*count = device_count();
	return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
	if (!initialized)
		return NVML_ERROR_UNINITIALIZED;
	if (index >= device_count())
		return NVML_ERROR_INVALID_ARGUMENT;
	devices[index].index = index;
	*device = &devices[index];
	return 0;
}

int nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
	return copy_out(name, length, model_of(device)->name);
}

int nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor)
{
	*major = model_of(device)->major;
	*minor = model_of(device)->minor;
	return 0;
}

int nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
	int rc = stub_behave(stub_setting("ENVLOCK_STUB_NVML_MEMORY", ""));

	if (rc)
		return rc;
	memory->total = model_of(device)->memory;
	memory->used = 512ULL << 20;
	memory->free = memory->total - memory->used;
	return 0;
}

int nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
	char text[96];

	snprintf(text, sizeof(text), "%s%02u", model_of(device)->uuid, device->index);
	return copy_out(uuid, length, text);
}

int nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index)
{
	*index = device->index;
	return 0;
}
