// SPDX-License-Identifier: GPL-2.0-or-later
/* CUnit tests of tool naming: a table of real command lines from
 * bioinformatics jobs, and the rules-file parser's handling of bad input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "sexec/tool.h"

#define NARGS 40

struct tool_case {
	const char *exe;
	const char *argv[NARGS];	/* NULL-terminated */
	const char *want;
	int cut;			/* last argument lost its NUL (argv_max) */
};

#define TC(e, w, ...) { e, { __VA_ARGS__, NULL }, w, 0 }
#define TC_CUT(e, w, ...) { e, { __VA_ARGS__, NULL }, w, 1 }

static const struct tool_case cases[] = {
	/* aligners */
	TC("/usr/bin/bwa", "bwa mem", "bwa", "mem", "-t", "16", "-R", "@RG\\tID:S1\\tSM:S1",
	   "ref.fa", "S1_R1.fq.gz", "S1_R2.fq.gz"),
	TC("/usr/bin/bwa", "bwa index", "bwa", "index", "-a", "bwtsw", "GRCh38.fa"),
	/* bwa-mem2 re-execs its SIMD build with argv[0] unchanged */
	TC("/opt/conda/bin/bwa-mem2.avx2", "bwa-mem2 mem", "bwa-mem2", "mem", "-t", "8",
	   "GRCh38.fa", "r1.fq.gz", "r2.fq.gz"),
	/* bowtie2 and hisat2 are perl/python wrappers around *-align-s */
	TC("/usr/bin/perl", "bowtie2", "/usr/bin/perl", "/usr/bin/bowtie2", "-p", "8", "-x",
	   "idx/hg38", "-1", "r1.fq.gz", "-2", "r2.fq.gz", "-S", "out.sam"),
	TC("/usr/bin/bowtie2-align-s", "bowtie2", "/usr/bin/bowtie2-align-s", "--wrapper",
	   "basic-0", "-p", "8", "-x", "idx/hg38", "-1", "r1.fq.gz", "-2", "r2.fq.gz"),
	TC("/opt/conda/bin/hisat2-align-s", "hisat2", "/opt/conda/bin/hisat2-align-s",
	   "--wrapper", "basic-0", "-p", "8", "--dta", "-x", "grch38/genome", "-1", "r1.fq.gz",
	   "-2", "r2.fq.gz"),
	TC("/usr/bin/python3.11", "hisat2-build", "/usr/bin/python3", "/opt/conda/bin/hisat2-build",
	   "-p", "8", "genome.fa", "genome"),
	TC("/opt/conda/bin/hisat2-build-s", "hisat2-build", "/opt/conda/bin/hisat2-build-s",
	   "--wrapper", "basic-0", "-p", "8", "genome.fa", "genome"),
	TC("/usr/bin/minimap2", "minimap2", "minimap2", "-ax", "sr", "-t", "8", "ref.mmi",
	   "r1.fq.gz", "r2.fq.gz"),
	TC("/usr/bin/minimap2", "minimap2", "minimap2", "-ax", "map-ont", "-d", "ref.mmi",
	   "ref.fa"),
	TC("/opt/conda/bin/STAR", "STAR", "STAR", "--runThreadN", "16", "--runMode",
	   "alignReads", "--genomeDir", "star_idx", "--readFilesIn", "r1.fq.gz", "r2.fq.gz",
	   "--readFilesCommand", "zcat", "--outSAMtype", "BAM", "SortedByCoordinate"),
	TC("/opt/conda/bin/STAR", "STAR", "STAR", "--runMode", "genomeGenerate", "--genomeDir",
	   "star_idx", "--genomeFastaFiles", "GRCh38.fa", "--sjdbGTFfile", "genes.gtf"),
	TC("/opt/conda/bin/salmon", "salmon quant", "salmon", "quant", "-i", "salmon_idx", "-l",
	   "A", "-1", "r1.fq.gz", "-2", "r2.fq.gz", "-p", "8", "--validateMappings", "-o",
	   "quant/S1"),
	TC("/opt/conda/bin/salmon", "salmon index", "salmon", "index", "-t", "gentrome.fa",
	   "-d", "decoys.txt", "-i", "salmon_idx"),
	TC("/usr/bin/kallisto", "kallisto quant", "kallisto", "quant", "-i", "tx.idx", "-o",
	   "out", "-t", "4", "r1.fq.gz", "r2.fq.gz"),
	/* samtools, bcftools, bedtools */
	TC("/usr/bin/samtools", "samtools sort", "samtools", "sort", "-@", "8", "-m", "2G", "-o",
	   "S1.sorted.bam", "S1.bam"),
	TC("/usr/bin/samtools", "samtools view", "samtools", "view", "-b", "-q", "20", "-F",
	   "4", "-o", "chr1.bam", "S1.bam", "chr1"),
	TC("/usr/bin/samtools", "samtools index", "samtools", "index", "-@", "4",
	   "S1.sorted.bam"),
	TC("/usr/bin/samtools", "samtools flagstat", "samtools", "flagstat", "S1.sorted.bam"),
	TC("/usr/bin/samtools", "samtools markdup", "samtools", "markdup", "-r", "-s",
	   "S1.fixmate.bam", "S1.markdup.bam"),
	TC("/usr/bin/samtools", "samtools", "samtools", "--version"),
	TC("/usr/bin/bcftools", "bcftools mpileup", "bcftools", "mpileup", "-Ou", "-f",
	   "ref.fa", "S1.bam"),
	TC("/usr/bin/bcftools", "bcftools call", "bcftools", "call", "-mv", "-Oz", "-o",
	   "calls.vcf.gz"),
	TC("/usr/bin/bcftools", "bcftools view", "bcftools", "view", "-i", "QUAL>20", "-Oz",
	   "-o", "filtered.vcf.gz", "calls.vcf.gz"),
	TC("/usr/bin/bcftools", "bcftools norm", "bcftools", "norm", "-m-both", "-f", "ref.fa",
	   "calls.vcf.gz"),
	TC("/usr/bin/bedtools", "bedtools intersect", "bedtools", "intersect", "-a",
	   "peaks.bed", "-b", "genes.bed", "-wa", "-u"),
	/* Picard and GATK */
	TC("/usr/bin/java", "picard MarkDuplicates", "java", "-Xmx8g", "-jar", "/opt/picard.jar",
	   "MarkDuplicates", "I=S1.bam", "O=S1.md.bam", "M=S1.metrics.txt"),
	TC("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "picard SortSam", "java", "-Xms512m",
	   "-Xmx4g", "-jar", "/opt/conda/share/picard-2.27.5-0/picard.jar", "SortSam", "-I",
	   "in.bam", "-O", "out.bam", "--SORT_ORDER", "coordinate"),
	TC("/usr/bin/java", "picard CollectInsertSizeMetrics", "java", "-cp", "/opt/picard.jar",
	   "picard.cmdline.PicardCommandLine", "CollectInsertSizeMetrics", "-I", "in.bam"),
	TC("/bin/bash", "picard CollectAlignmentSummaryMetrics", "/bin/bash",
	   "/opt/conda/bin/picard", "CollectAlignmentSummaryMetrics", "-R", "ref.fa", "-I",
	   "in.bam", "-O", "out.txt"),
	TC("/usr/bin/python3.10", "gatk HaplotypeCaller", "python3", "/gatk/gatk",
	   "HaplotypeCaller", "-R", "ref.fa", "-I", "S1.bam", "-O", "S1.g.vcf.gz", "-ERC",
	   "GVCF"),
	TC("/usr/bin/python3.10", "gatk BaseRecalibrator", "python3", "/gatk/gatk",
	   "--java-options", "-Xmx8g -XX:ParallelGCThreads=2", "BaseRecalibrator", "-R",
	   "ref.fa", "-I", "S1.bam", "--known-sites", "dbsnp.vcf.gz", "-O", "recal.table"),
	TC("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "gatk HaplotypeCaller", "java",
	   "-Dsamjdk.use_async_io_read_samtools=false",
	   "-Dsamjdk.use_async_io_write_samtools=true",
	   "-Dsamjdk.use_async_io_write_tribble=false", "-Dsamjdk.compression_level=2",
	   "-Xmx8g", "-jar", "/gatk/gatk-package-4.4.0.0-local.jar", "HaplotypeCaller", "-R",
	   "ref.fa", "-I", "S1.bam", "-O", "S1.g.vcf.gz"),
	TC("/usr/bin/java", "gatk GenotypeGVCFs", "java", "-Xmx16g", "-cp", "/gatk/gatk.jar",
	   "org.broadinstitute.hellbender.Main", "GenotypeGVCFs", "-R", "ref.fa", "-V",
	   "gendb://db", "-O", "joint.vcf.gz"),
	TC("/usr/bin/python2.7", "gatk ApplyBQSR", "python", "/opt/gatk/gatk-launch",
	   "ApplyBQSR", "-R", "ref.fa", "-I", "S1.bam", "-bqsr", "recal.table"),
	/* QC and trimming */
	TC("/usr/bin/perl", "fastqc", "/usr/bin/perl", "/usr/bin/fastqc", "-t", "4", "-o", "qc",
	   "S1_R1.fq.gz", "S1_R2.fq.gz"),
	TC("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "fastqc", "java", "-Xmx250m",
	   "-Djava.awt.headless=true", "-Dfastqc.output_dir=qc", "-Dfastqc.threads=4",
	   "-classpath", "/usr/share/fastqc:/usr/share/java/htsjdk.jar:/usr/share/java/jbzip2.jar",
	   "uk.ac.babraham.FastQC.FastQCApplication", "S1_R1.fq.gz"),
	TC("/usr/bin/python3.11", "multiqc", "/usr/bin/python3", "/usr/bin/multiqc", ".", "-o",
	   "report", "--force"),
	TC("/opt/conda/bin/python3.10", "multiqc", "python3", "-m", "multiqc", "--force", "."),
	TC("/usr/bin/java", "trimmomatic PE", "java", "-Xmx4g", "-jar",
	   "/opt/trimmomatic-0.39.jar", "PE", "-threads", "4", "r1.fq.gz", "r2.fq.gz",
	   "o1p.fq.gz", "o1u.fq.gz", "o2p.fq.gz", "o2u.fq.gz",
	   "ILLUMINACLIP:TruSeq3-PE.fa:2:30:10", "SLIDINGWINDOW:4:20"),
	TC("/bin/bash", "trimmomatic SE", "/bin/bash", "/opt/conda/bin/trimmomatic", "SE",
	   "-threads", "4", "in.fq.gz", "out.fq.gz", "MINLEN:36"),
	TC("/usr/bin/python3.11", "cutadapt", "/usr/bin/python3", "/usr/bin/cutadapt", "-j", "4",
	   "-a", "AGATCGGAAGAGC", "-A", "AGATCGGAAGAGC", "-o", "t1.fq.gz", "-p", "t2.fq.gz",
	   "r1.fq.gz", "r2.fq.gz"),
	TC("/usr/bin/perl", "trim_galore", "/usr/bin/perl", "/usr/bin/trim_galore", "--paired",
	   "--cores", "4", "--fastqc", "r1.fq.gz", "r2.fq.gz"),
	/* counting */
	TC("/usr/bin/featureCounts", "featureCounts", "featureCounts", "-T", "8", "-p",
	   "--countReadPairs", "-a", "genes.gtf", "-o", "counts.txt", "S1.bam", "S2.bam"),
	TC("/usr/bin/python3.11", "htseq-count", "/usr/bin/python3", "/usr/bin/htseq-count",
	   "-f", "bam", "-r", "pos", "-s", "no", "S1.bam", "genes.gtf"),
	TC("/usr/bin/python3.11", "htseq-count", "python3", "-m", "HTSeq.scripts.count", "-f",
	   "bam", "S1.bam", "genes.gtf"),
	/* R: Rscript execs R --file=..., so most R processes look like this */
	TC("/usr/lib/R/bin/exec/R", "deseq2.R", "/usr/lib/R/bin/exec/R", "--no-echo",
	   "--no-restore", "--file=deseq2.R", "--args", "counts.txt", "samples.tsv"),
	TC("/usr/bin/Rscript", "plot_qc.R", "Rscript", "--vanilla", "scripts/plot_qc.R",
	   "qc.tsv"),
	TC("/usr/lib/R/bin/exec/R", "R", "/usr/lib/R/bin/exec/R", "--no-echo", "--no-restore",
	   "-e", "rmarkdown::render('report.Rmd')"),
	TC("/usr/bin/Rscript", "Rscript", "Rscript", "-e", "sessionInfo()"),
	TC("/usr/lib/R/bin/exec/R", "analysis.R", "/usr/lib/R/bin/exec/R", "-f", "analysis.R",
	   "--restore", "--save", "--no-readline"),
	/* Nextflow */
	TC("/bin/bash", "nextflow-task", "/bin/bash", "-ue",
	   "/scratch/work/3f/a1b2c3d4e5/.command.sh"),
	TC("/bin/bash", "nextflow-task", "/bin/bash", "/scratch/work/3f/a1b2c3d4e5/.command.run",
	   "nxf_trace"),
	TC("/bin/bash", "nextflow-task", "bash", "-ue", ".command.run"),
	TC("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "nextflow run", "java",
	   "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1", "-Dfile.encoding=UTF-8",
	   "--add-opens=java.base/java.lang=ALL-UNNAMED", "-Dcapsule.trampoline", "-cp",
	   "/home/u/.nextflow/framework/23.10.1/nextflow-23.10.1-one.jar",
	   "nextflow.cli.Launcher", "run", "nf-core/rnaseq", "-profile", "singularity",
	   "-resume"),
	TC("/bin/bash", "nextflow run", "bash", "/usr/local/bin/nextflow", "-log", "logs/nf.log",
	   "-c", "site.config", "run", "main.nf", "-resume"),
	/* Snakemake */
	TC("/opt/conda/bin/python3.11", "snakemake", "/opt/conda/bin/python3.11",
	   "/opt/conda/bin/snakemake", "--cores", "8", "--use-conda", "--executor", "slurm"),
	TC("/opt/conda/bin/python3.11", "snakemake", "/opt/conda/bin/python3.11", "-m",
	   "snakemake", "--snakefile", "/w/Snakefile", "--target-jobs", "bwa_map:sample=A",
	   "--allowed-rules", "bwa_map", "--cores", "all", "--mode", "remote"),
	TC("/opt/conda/bin/python3.11", "plot_coverage.py", "/opt/conda/bin/python3.11",
	   "/w/.snakemake/scripts/tmpk8x2v_3q.plot_coverage.py"),
	TC("/opt/conda/bin/python3.11", "wrapper.py", "python",
	   ".snakemake/scripts/tmp3o0l9hz5.wrapper.py"),
	TC("/usr/lib/R/bin/exec/R", "deseq2.R", "/usr/lib/R/bin/exec/R", "--no-echo",
	   "--no-restore", "--vanilla", "--file=/w/.snakemake/scripts/tmpa1b2c3d4.deseq2.R"),
	TC("/bin/bash", "bash", "/bin/bash", "-c",
	   "set -euo pipefail;  bwa mem -t 8 ref.fa r1.fq r2.fq | samtools sort -o out.bam"),
	/* containers */
	TC("/usr/bin/apptainer", "samtools sort", "apptainer", "exec", "--bind", "/data:/data",
	   "-B", "/scratch", "/images/samtools_1.17.sif", "samtools", "sort", "-o", "x.bam",
	   "y.bam"),
	TC("/usr/bin/singularity", "salmon quant", "singularity", "exec", "--no-home", "--pid",
	   "-B", "/work", "/cache/quay.io-biocontainers-salmon-1.10.1--h7e5ed60_0.img", "salmon",
	   "quant", "-i", "idx"),
	TC("/usr/bin/singularity", "fastqc", "singularity", "exec", "--cleanenv", "-eB", "/a:/b",
	   "docker://quay.io/biocontainers/fastqc:0.12.1--hdfd78af_0", "fastqc", "r1.fq.gz"),
	TC("/usr/bin/apptainer", "STAR", "apptainer", "--debug", "exec", "--nv", "img.sif",
	   "/usr/local/bin/STAR", "--runThreadN", "4"),
	TC("/usr/bin/apptainer", "apptainer run", "apptainer", "run", "img.sif", "--help"),
	TC("/usr/bin/apptainer", "apptainer pull", "apptainer", "pull",
	   "docker://quay.io/biocontainers/samtools:1.17--h00cdaf9_0"),
	TC("/usr/bin/env", "bash", "env", "-", "PATH=/usr/bin", "SINGULARITYENV_TMP=/tmp",
	   "singularity", "exec", "--no-home", "--pid", "-B", "/work", "/cache/img.img",
	   "/bin/bash", "-c", "cd /work/ab; /bin/bash -ue /work/ab/.command.sh"),
	/* launch wrappers */
	TC("/usr/bin/timeout", "samtools index", "timeout", "3600", "samtools", "index",
	   "S1.bam"),
	TC("/usr/bin/timeout", "bwa mem", "timeout", "-s", "KILL", "-k", "30", "2h", "bwa", "mem",
	   "ref.fa", "r1.fq"),
	TC("/usr/bin/env", "train.py", "env", "OMP_NUM_THREADS=4", "CUDA_VISIBLE_DEVICES=0",
	   "python3", "train.py", "--epochs", "10"),
	TC("/usr/bin/env", "run.sh", "env", "-i", "-u", "HOME", "PATH=/bin", "bash", "run.sh"),
	TC("/usr/bin/env", "bowtie2", "/usr/bin/env", "perl", "/usr/bin/bowtie2", "-x", "idx",
	   "-U", "r.fq"),
	TC("/usr/bin/env", "tool.py", "/usr/bin/env", "-S python3 -u", "/opt/x/tool.py", "--in",
	   "a"),
	TC("/opt/conda/bin/python3.11", "salmon quant", "/opt/conda/bin/python3.11",
	   "/opt/conda/bin/conda", "run", "-n", "rnaseq", "--no-capture-output", "salmon",
	   "quant", "-i", "idx"),
	TC("/usr/bin/micromamba", "fastqc", "micromamba", "run", "-n", "qc", "fastqc",
	   "r1.fq.gz"),
	TC("/opt/conda/bin/python3.11", "conda install", "/opt/conda/bin/python3.11",
	   "/opt/conda/bin/conda", "install", "-c", "bioconda", "samtools"),
	TC("/usr/bin/nice", "pigz", "nice", "-n", "19", "ionice", "-c", "3", "pigz", "-p", "8",
	   "big.fq"),
	TC("/usr/bin/numactl", "bwa-mem2 mem", "numactl", "--cpunodebind=0", "--membind=0",
	   "bwa-mem2", "mem", "-t", "32", "ref.fa", "r1.fq"),
	TC("/usr/bin/taskset", "STAR", "taskset", "-c", "0-7", "STAR", "--runThreadN", "8"),
	TC("/usr/bin/stdbuf", "pipeline.py", "stdbuf", "-oL", "-e", "L", "python3", "-u",
	   "pipeline.py"),
	TC("/usr/bin/time", "samtools sort", "/usr/bin/time", "-v", "-o", "time.log", "samtools",
	   "sort", "-o", "out.bam", "in.bam"),
	TC("/usr/bin/nohup", "long.sh", "nohup", "bash", "long.sh"),
	/* interpreters */
	TC("/usr/bin/python3.11", "python3", "python3", "-c", "import sys; print(sys.path)"),
	TC("/usr/bin/python3.11", "python3", "python3"),
	TC("/usr/bin/python3.11", "python3", "python3", "-"),
	TC("/usr/bin/python3.11", "run.py", "python3", "-u", "-W", "ignore::DeprecationWarning",
	   "/opt/x/run.py", "--threads", "4"),
	TC("/usr/bin/python3.11", "script.py", "python3", "-X", "importtime", "-O", "script.py"),
	TC("/usr/bin/python3.11", "pip install", "python3", "-Bm", "pip", "install", "pysam"),
	TC("/usr/bin/python3.11", "python3", "python3", "-uc", "print(1)"),
	TC("/usr/bin/perl", "annotate.pl", "perl", "-I", "/opt/lib", "-w", "/opt/bin/annotate.pl",
	   "in.vcf"),
	TC("/usr/bin/perl", "perl", "perl", "-lane", "print $F[0]", "in.tsv"),
	TC("/usr/bin/perl", "perl", "perl", "-Mfeature=say", "-e", "say 1"),
	TC("/bin/bash", "step.sh", "bash", "-euo", "pipefail", "/w/step.sh", "a"),
	TC("/bin/bash", "step.sh", "bash", "-o", "pipefail", "+x", "-e", "/w/step.sh"),
	TC("/usr/bin/dash", "dash", "sh", "-c", "exec samtools view x.bam"),
	TC("/bin/bash", "bash", "-bash"),
	TC("/usr/bin/java", "java", "java", "-version"),
	TC("/usr/bin/java", "snpEff", "java", "-Xmx8g", "-jar", "/opt/snpEff/snpEff.jar", "ann",
	   "-v", "GRCh38.105", "in.vcf"),
	TC("/usr/bin/java", "com.example.Main", "java", "-cp", "app.jar:lib/*",
	   "com.example.Main", "--in", "x"),
	TC("/usr/bin/julia", "analysis.jl", "julia", "--project=.", "-t", "8", "analysis.jl"),
	TC("/usr/bin/node", "cli.js", "node", "--max-old-space-size=4096",
	   "/usr/lib/node_modules/x/cli.js"),
	/* options before subcommands */
	TC("/usr/bin/git", "git pull", "git", "-C", "/home/u/pipeline", "pull"),
	TC("/usr/bin/samtools", "samtools", "samtools", "/data/in.bam"),
	/* edge cases */
	TC_CUT("/usr/bin/samtools", "samtools", "samtools", "so"),
	TC_CUT("/usr/bin/samtools", "samtools sort", "samtools", "sort", "-o", "/very/lo"),
	TC_CUT("/usr/bin/python3.11", "python3", "python3", "/opt/pipeline/scr"),
	TC("/usr/bin/samtools (deleted)", "samtools sort", "samtools", "sort", "in.bam"),
	TC("", "STAR", "/opt/bin/STAR", "--runThreadN", "4"),
	TC("", "samtools sort", "samtools", "sort", "x.bam"),
	TC("/usr/bin/pigz", "pigz", "unpigz", "-p", "4", "x.gz"),
	TC("bowtie2-align-s", "bowtie2", "bowtie2-align-s", "--wrapper", "basic-0"),
	TC("/bin/busybox", "sh", "sh", "-c", "ls /"),
	TC("/bin/busybox", "gzip", "busybox", "gzip", "-d", "x.gz"),
	TC("/bin/busybox", "run.sh", "/bin/sh", "run.sh"),
	TC("/usr/bin/env", "env", "env", "env", "env", "env", "env", "env", "env", "env", "env",
	   "env", "env", "samtools", "sort"),
	TC("/bin/bash", "a?b.sh", "bash", "/tmp/a\nb.sh"),
};

static size_t pack(const struct tool_case *c, char *buf, size_t len)
{
	const char *const *a;
	size_t off = 0;

	for (a = c->argv; *a; a++) {
		size_t n = strlen(*a) + 1;

		CU_ASSERT_FATAL(off + n <= len);
		memcpy(buf + off, *a, n);
		off += n;
	}
	/* Cut mid-argument, as argv_max does: the last NUL is gone. */
	if (c->cut && off)
		off--;
	return off;
}

static int run_table(const struct tool_rules *r, const char *label)
{
	char argv[4096], out[256];
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tool_case *c = &cases[i];
		size_t len = pack(c, argv, sizeof(argv));

		memset(out, 'x', sizeof(out));
		if (r)
			tool_name_rules(r, c->exe, argv, len, out, sizeof(out));
		else
			tool_name(c->exe, argv, len, out, sizeof(out));
		if (strcmp(out, c->want)) {
			fprintf(stderr, "\n  [%s] case %zu: %s %s ... = '%s', want '%s'", label, i,
				c->exe, c->argv[0] ? c->argv[0] : "", out, c->want);
			bad++;
		}
	}
	return bad;
}

static void test_table_defaults(void)
{
	CU_ASSERT(sizeof(cases) / sizeof(cases[0]) >= 60);
	CU_ASSERT_EQUAL(run_table(NULL, "tool_name"), 0);
	CU_ASSERT_EQUAL(run_table(tool_rules_default(), "defaults"), 0);
}

static const char *srcdir(void)
{
	const char *s = getenv("srcdir");

	return s && *s ? s : ".";
}

static char *read_all(const char *path)
{
	char *buf = NULL;
	long n;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* The shipped file and the compiled-in copy must not drift apart. */
static void test_shipped_file(void)
{
	struct tool_rules *r = NULL;
	char path[1024], err[512];
	char *text;

	snprintf(path, sizeof(path), "%s/contrib/tools.rules", srcdir());
	text = read_all(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, tool_rules_default_text());
	if (strcmp(text, tool_rules_default_text()))
		fprintf(stderr, "\n  %s differs from lib/tool.c's built-in copy", path);
	free(text);
	CU_ASSERT_EQUAL(tool_rules_load(&r, path, err, sizeof(err)), 0);
	if (!r) {
		fprintf(stderr, "\n  %s", err);
		return;
	}
	CU_ASSERT_EQUAL(run_table(r, "file"), 0);
	tool_rules_free(r);
}

static void name_with(const struct tool_rules *r, const char *exe, const char *const *args,
		      char *out, size_t outlen)
{
	char argv[1024];
	size_t off = 0;

	for (; *args; args++) {
		size_t n = strlen(*args) + 1;

		memcpy(argv + off, *args, n);
		off += n;
	}
	tool_name_rules(r, exe, argv, off, out, outlen);
}

static void test_output_bounds(void)
{
	char out[8];
	static const char *const sort[] = { "samtools", "sort", NULL };

	name_with(NULL, "/usr/bin/samtools", sort, out, 5);
	CU_ASSERT_STRING_EQUAL(out, "samt");
	out[0] = 'z';
	name_with(NULL, "/usr/bin/samtools", sort, out, 0);
	CU_ASSERT_EQUAL(out[0], 'z');
	tool_name("", "", 0, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "?");
	tool_name(NULL, NULL, 0, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "?");
	tool_name("/usr/bin/samtools", NULL, 0, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "samtool");
}

static int write_file(char *path, size_t len, const char *text, size_t n)
{
	int fd;

	snprintf(path, len, "/tmp/test_tool.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	return 0;
}

static void test_load_valid(void)
{
	static const char text[] =
		"# a site's own rules\n"
		"\n"
		"subcommand mytool value=--config   # mytool --config x.yml align\n"
		"alias mytool-*=mytool com.example.MyTool=mytool\n"
		"interpreter java script=-jar strip=.jar \\\n"
		"\tvalue=-cp\n"
		"interpreter py* clusters=yes inline=-c module=-m\n"
		"wrapper launch verb=exec,start operands=1 assign=yes value=-q\n"
		"multicall box\n"
		"tmpscript /var/tmp/copies work/.scripts/\n";
	static const char *const t1[] = { "mytool", "--config", "x.yml", "align", "r.fq", NULL };
	static const char *const t2[] = { "java", "-jar", "/opt/mytool-1.2.jar", "call", NULL };
	static const char *const t3[] = { "java", "-cp", "a.jar", "com.example.MyTool", "index",
					  NULL };
	static const char *const t4[] = { "launch", "-q", "x", "exec", "IMG", "A=1", "mytool",
					  "merge", NULL };
	static const char *const t5[] = { "launch", "pull", "IMG", NULL };
	static const char *const t6[] = { "samtools", "sort", NULL };
	static const char *const t7[] = { "python3", "/var/tmp/copies/tmp12.x.py", NULL };
	static const char *const t8[] = { "python3", "/a/work/.scripts/tmp34.y.py", NULL };
	static const char *const t9[] = { "python3", "/a/var/tmp/copies/tmp12.x.py", NULL };
	static const char *const t10[] = { "box", "mytool", "qc", NULL };
	struct tool_rules *r = NULL;
	char path[64], err[512], out[256];

	CU_ASSERT_EQUAL_FATAL(write_file(path, sizeof(path), text, sizeof(text) - 1), 0);
	CU_ASSERT_EQUAL(tool_rules_load(&r, path, err, sizeof(err)), 0);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	name_with(r, "/opt/bin/mytool", t1, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "mytool align");
	name_with(r, "/usr/bin/java", t2, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "mytool call");
	name_with(r, "/usr/bin/java", t3, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "mytool index");
	name_with(r, "/usr/bin/launch", t4, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "mytool merge");
	name_with(r, "/usr/bin/launch", t5, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "launch pull");
	/* A file replaces the built-in rules: samtools is just a binary here. */
	name_with(r, "/usr/bin/samtools", t6, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "samtools");
	name_with(r, "/usr/bin/python3", t7, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "x.py");
	name_with(r, "/usr/bin/python3", t8, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "y.py");
	/* an absolute tmpscript directory matches only itself */
	name_with(r, "/usr/bin/python3", t9, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "tmp12.x.py");
	name_with(r, "/bin/box", t10, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "mytool qc");
	tool_rules_free(r);
	tool_rules_free(NULL);
}

/* A site adds its own multi-tool binary to the shipped rules. */
static void test_custom_subcommand(void)
{
	static const char *const t1[] = { "vcfkit", "filter", "-i", "x.vcf", NULL };
	static const char *const t2[] = { "/usr/bin/python3", "/opt/site/bin/vcfkit", "merge",
					  NULL };
	static const char *const t3[] = { "samtools", "sort", NULL };
	struct tool_rules *r = NULL;
	char path[64], err[512], out[256];
	const char *base = tool_rules_default_text();
	const char *extra = "\n# site\nsubcommand vcfkit\n";
	size_t n = strlen(base) + strlen(extra);
	char *text = malloc(n + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	snprintf(text, n + 1, "%s%s", base, extra);
	CU_ASSERT_EQUAL_FATAL(write_file(path, sizeof(path), text, n), 0);
	free(text);
	CU_ASSERT_EQUAL(tool_rules_load(&r, path, err, sizeof(err)), 0);
	unlink(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	name_with(r, "/opt/site/bin/vcfkit", t1, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "vcfkit filter");
	name_with(r, "/usr/bin/python3.11", t2, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "vcfkit merge");
	name_with(r, "/usr/bin/samtools", t3, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "samtools sort");
	tool_rules_free(r);
}

struct bad_rules {
	const char *text;
	const char *where;	/* ":line:" the message must hold */
	const char *why;	/* and this */
};

static const struct bad_rules bad[] = {
	{ "subcommand samtools\n\nfrobnicate x\n", ":3:", "unknown directive 'frobnicate'" },
	{ "alias gatk-launch\n", ":1:", "not FROM=TO" },
	{ "alias =gatk\n", ":1:", "not a program name" },
	{ "alias a=b*\n", ":1:", "may not hold" },
	{ "subcommand *\n", ":1:", "'*' may only end" },
	{ "subcommand sam*tools\n", ":1:", "'*' may only end" },
	{ "subcommand /usr/bin/samtools\n", ":1:", "not a program name" },
	{ "subcommand samtools foo=bar\n", ":1:", "no attribute 'foo'" },
	{ "subcommand conda verb=run\n", ":1:", "no attribute 'verb'" },
	{ "subcommand gatk value=java-options\n", ":1:", "not an option" },
	{ "subcommand gatk value=-a,,-b\n", ":1:", "empty item" },
	{ "subcommand gatk value=-a value=-b\n", ":1:", "given twice" },
	{ "subcommand value=-x\n", ":1:", "needs at least one program name" },
	{ "subcommand samtools\nwrapper timeout\ninterpreter samtools\n", ":3:",
	  "already has a rule (line 1)" },
	{ "alias a=b\nalias a=c\n", ":2:", "already has a rule (line 1)" },
	{ "wrapper env clusters=maybe\n", ":1:", "yes or no" },
	{ "wrapper timeout operands=10\n", ":1:", "0 to 9" },
	{ "interpreter R operand=file\n", ":1:", "script or none" },
	{ "interpreter java strip=-jar\n", ":1:", "may not start with '-'" },
	{ "multicall busybox value=-x\n", ":1:", "no attribute 'value'" },
	{ "tmpscript\n", ":1:", "needs at least one directory" },
	{ "tmpscript .snakemake/*\n", ":1:", "not a directory" },
	{ "alias\n", ":1:", "needs at least one" },
	/* the line of a folded rule is where it starts */
	{ "# c\nsubcommand a \\\n\tb \\\n\tc\nsubcommand d \\\n\tvalue=-x \\\n\tbogus=1\n", ":5:",
	  "no attribute 'bogus'" },
	{ "subcommand a \\\n", ":1:", "past the end" },
};

static void test_load_errors(void)
{
	char path[64], err[512], want[128];
	struct tool_rules *r;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(write_file(path, sizeof(path), bad[i].text,
						 strlen(bad[i].text)), 0);
		r = (struct tool_rules *)1;
		err[0] = '\0';
		rc = tool_rules_load(&r, path, err, sizeof(err));
		snprintf(want, sizeof(want), "%s%s", path, bad[i].where);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NULL(r);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].why));
		if (rc != -EINVAL || !strstr(err, want) || !strstr(err, bad[i].why))
			fprintf(stderr, "\n  bad[%zu]: rc %d, '%s'; want '%s' and '%s'", i, rc, err,
				want, bad[i].why);
		unlink(path);
	}
	/* NUL bytes: not a text file */
	CU_ASSERT_EQUAL_FATAL(write_file(path, sizeof(path), "alias a=b\0x\n", 12), 0);
	CU_ASSERT_EQUAL(tool_rules_load(&r, path, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NUL"));
	unlink(path);
	/* missing file: -errno and the path */
	CU_ASSERT_EQUAL(tool_rules_load(&r, "/nonexistent/tools.rules", err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/tools.rules: "));
	/* parse from text names its source */
	CU_ASSERT_EQUAL(tool_rules_parse(&r, "bogus\n", "inline", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "inline:1: unknown directive 'bogus'"));
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("tool names", NULL, NULL);
	CU_add_test(s, "command-line table, built-in rules", test_table_defaults);
	CU_add_test(s, "shipped tools.rules equals built-in rules", test_shipped_file);
	CU_add_test(s, "output buffer bounds", test_output_bounds);
	s = CU_add_suite("tool rules files", NULL, NULL);
	CU_add_test(s, "valid file", test_load_valid);
	CU_add_test(s, "site adds a subcommand tool", test_custom_subcommand);
	CU_add_test(s, "errors name file and line", test_load_errors);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
