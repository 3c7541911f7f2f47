/**
 * JAXB data classes for libvirt domain XML ({@code <domain>}), as in libvirt's {@code domain.rng}.
 *
 * <p>The classes are pure data: public fields, no behaviour. Every attribute and text value is kept as the string
 * that was read (numbers, units and yes/no flags are interpreted elsewhere, in {@code org.jkvm.domainxml}), and
 * every element type keeps what the model does not name in {@code otherAttributes} and {@code otherElements}, so
 * that parse then write loses nothing. Instances are not thread-safe; share a parsed definition read-only.
 */
@Export
@Version("1.0.0")
@XmlAccessorType(XmlAccessType.FIELD)
package org.jkvm.domainxml.model;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
