-- SPDX-License-Identifier: GPL-2.0-or-later
-- Schema version 2: who ran a process and where (uid, cwd), and its precise
-- total run time, so user + system CPU can be checked against it.

ALTER TABLE sexec.process ADD COLUMN uid int;
ALTER TABLE sexec.process ADD COLUMN cwd text;
ALTER TABLE sexec.process ADD COLUMN cpu_total_us bigint;
