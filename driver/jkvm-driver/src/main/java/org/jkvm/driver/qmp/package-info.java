/**
 * The driver's typed QMP client (docs/contracts.md section 4): {@link org.jkvm.driver.qmp.QmpClient} offers each
 * engine command with Java values and records ({@link org.jkvm.driver.qmp.RunStatus},
 * {@link org.jkvm.driver.qmp.MigrationInfo}, ...), events arrive as the sealed {@link org.jkvm.driver.qmp.QmpEvent};
 * the JSON stays in the package-private wire and {@link org.jkvm.driver.qmp.QmpCodec}.
 */
package org.jkvm.driver.qmp;
