/**
 * {@code bin/jkvm-xml}, the command-line tool for domain definitions kept in git (check, normalise, diff, argv).
 * Not exported.
 */
package org.jkvm.domainxml.cli;
