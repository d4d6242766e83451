// Package machine reads what the benchmark programs print about the machine they ran on: the CPU
// time a process has used (CPUTime) and the load average (LoadAvg), so that figures from a
// shared, noisy machine can be read with their conditions.
package machine
