/**
 * Engine processes as the driver sees them: launching one (or taking a spare started ahead of need), its files
 * under the state folder, its QMP connection, and the notice of its end. Never an engine class: the process boundary
 * and QMP are the interface.
 */
package org.jkvm.driver.engine;
