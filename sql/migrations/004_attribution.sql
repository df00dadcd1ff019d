-- SPDX-License-Identifier: GPL-2.0-or-later
-- Schema version 4: what a job belongs to (pipeline, run, workflow task and
-- labels, explicit or detected from Nextflow, Snakemake and Cromwell jobs),
-- and requeues: a requeued job runs its steps again, once per restart.

ALTER TABLE sexec.job ADD COLUMN pipeline text;
ALTER TABLE sexec.job ADD COLUMN run text;
ALTER TABLE sexec.job ADD COLUMN workflow text;		-- nextflow, snakemake, cromwell
ALTER TABLE sexec.job ADD COLUMN workflow_task text;
ALTER TABLE sexec.job ADD COLUMN labels jsonb NOT NULL DEFAULT '{}';
ALTER TABLE sexec.job ADD COLUMN work_dir text;
ALTER TABLE sexec.job ADD COLUMN comment text;
CREATE INDEX job_pipeline_idx ON sexec.job (pipeline, run) WHERE pipeline IS NOT NULL;
CREATE INDEX job_run_idx ON sexec.job (run) WHERE run IS NOT NULL;

ALTER TABLE sexec.step ADD COLUMN restart int NOT NULL DEFAULT 0;
ALTER TABLE sexec.step DROP CONSTRAINT step_pkey;
ALTER TABLE sexec.step ADD PRIMARY KEY (cluster, job_id, step, node, restart);

ALTER TABLE sexec.task ADD COLUMN restart int NOT NULL DEFAULT 0;
ALTER TABLE sexec.task DROP CONSTRAINT task_pkey;
ALTER TABLE sexec.task ADD PRIMARY KEY (cluster, job_id, step, node, restart, task_id);
