/**
 * libvirt domain XML for jkvm: parse and write definitions without loss ({@link DomainXml}), check them against
 * libvirt's rules ({@link LibvirtRules}) and against what jkvm supports ({@link JkvmSupport}), map them to the
 * engine's command line ({@link EngineArgs}), compare two definitions for migration ({@link AbiCheck},
 * {@link Fingerprint}), keep them as files fit for version control ({@link DomainStore}) and describe the host
 * ({@link Capabilities}).
 *
 * <p>Every failure is a {@link DomainXmlException} whose message is one sentence naming what was wrong (with the
 * line and column, or the element path) and what to do.
 */
@Export
@Version("1.0.0")
package org.jkvm.domainxml;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
