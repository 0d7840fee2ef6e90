/*
 * A stand-in for libFuzzer where clang is not available: replays every
 * file given, then feeds random mutations of them to the target until a
 * time or run limit, whichever comes first. Not coverage-guided, but it
 * runs under the sanitizers of the ordinary test build.
 *
 *   fuzz-TARGET [-max_total_time=S] [-runs=N] [-seed=N] CORPUS_FILE_OR_DIR...
 *
 * The flags are spelled as libFuzzer's, so the tests run either the same way.
 */
#include "fsutil.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	char *data;
	size_t len;
};

static struct input *inputs;
static size_t nr_inputs, alloc_inputs;

static void add_input(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (is_dir(path)) {
		char **names;
		size_t nr;

		if (list_dir(path, &names, &nr) < 0)
			return;
		for (size_t i = 0; i < nr; i++) {
			char *sub = path_join(path, names[i]);

			add_input(sub);
			free(sub);
		}
		free_list(names);
		return;
	}
	if (strbuf_read_file(&sb, path, 1u << 20) < 0)
		return;
	ALLOC_GROW(inputs, nr_inputs + 1, alloc_inputs);
	inputs[nr_inputs].data = strbuf_detach(&sb, &inputs[nr_inputs].len);
	nr_inputs++;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: plenty for choosing mutations */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void mutate(struct strbuf *sb)
{
	static const char special[] = ":-{}[]&*!|>'\"%@`#,\n $\t~?0yn<";
	size_t pos = sb->len ? rnd() % sb->len : 0;
	const struct input *other = &inputs[rnd() % nr_inputs];

	switch (rnd() % 6) {
	case 0:
		if (sb->len)
			sb->buf[pos] ^= (char)(1u << (rnd() % 8));
		break;
	case 1:
		if (sb->len)
			sb->buf[pos] = special[rnd() % (sizeof(special) - 1)];
		break;
	case 2: {   /* delete a range */
		size_t n = sb->len - pos ? rnd() % (sb->len - pos) % 64 : 0;

		memmove(sb->buf + pos, sb->buf + pos + n, sb->len - pos - n);
		strbuf_setlen(sb, sb->len - n);
		break;
	}
	case 3: {   /* splice in a piece of another input */
		size_t from = other->len ? rnd() % other->len : 0;
		size_t n = other->len - from ? rnd() % (other->len - from) % 256 : 0;
		struct strbuf tmp = STRBUF_INIT;

		strbuf_add(&tmp, sb->buf, pos);
		strbuf_add(&tmp, other->data + from, n);
		strbuf_add(&tmp, sb->buf + pos, sb->len - pos);
		strbuf_release(sb);
		*sb = tmp;
		break;
	}
	case 4: {   /* duplicate a line */
		char *nl = memchr(sb->buf + pos, '\n', sb->len - pos);
		size_t end = nl ? (size_t)(nl - sb->buf) + 1 : sb->len;
		struct strbuf tmp = STRBUF_INIT;

		strbuf_add(&tmp, sb->buf, end);
		strbuf_add(&tmp, sb->buf + pos, end - pos);
		strbuf_add(&tmp, sb->buf + end, sb->len - end);
		strbuf_release(sb);
		*sb = tmp;
		break;
	}
	default:
		if (sb->len)
			strbuf_setlen(sb, pos);
	}
}

int main(int argc, char **argv)
{
	double max_time = 10;
	unsigned long long runs = 1000000, done = 0;
	struct timespec start, now;
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	rng_state = (uint64_t)time(NULL) | 1;
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "-max_total_time=", 16))
			max_time = atof(argv[i] + 16);
		else if (!strncmp(argv[i], "-runs=", 6))
			runs = strtoull(argv[i] + 6, NULL, 10);
		else if (!strncmp(argv[i], "-seed=", 6))
			rng_state = strtoull(argv[i] + 6, NULL, 10) | 1;
		else if (argv[i][0] != '-')
			add_input(argv[i]);
	}
	if (!nr_inputs) {
		fprintf(stderr, "%s: no corpus given\n", prog);
		return 2;
	}
	printf("%s: seed %llu, %zu corpus inputs\n", prog, (unsigned long long)rng_state, nr_inputs);
	for (size_t i = 0; i < nr_inputs; i++, done++)
		LLVMFuzzerTestOneInput((const uint8_t *)inputs[i].data, inputs[i].len);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (; done < runs; done++) {
		struct strbuf sb = STRBUF_INIT;
		const struct input *in = &inputs[rnd() % nr_inputs];
		int n = 1 + (int)(rnd() % 4);

		strbuf_add(&sb, in->data, in->len);
		while (n--)
			mutate(&sb);
		LLVMFuzzerTestOneInput((const uint8_t *)sb.buf, sb.len);
		strbuf_release(&sb);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 > max_time)
			break;
	}
	printf("%s: %llu runs, no crash\n", prog, done);
	for (size_t i = 0; i < nr_inputs; i++)
		free(inputs[i].data);
	free(inputs);
	return 0;
}
